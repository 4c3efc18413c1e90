import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('callback and fine settings', () => {
  it('have defaults that follow R3 and R4', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      CALLBACK_DAY_START: '08:00',
      CALLBACK_DAY_END: '20:00',
      CALLBACK_DAY_DUE_MINUTES: 120,
      CALLBACK_MAX_HOURS: 24,
      HOLIDAYS: [],
      FINE_SCHEDULE: [20, 50, 100],
      FINE_PERIOD: 'month',
      MIN_ABANDON_SECONDS: 5,
      CALLBACK_MAX_ATTEMPTS: 3,
      ADMIN_ALERT_PHONES: [],
    });
  });

  it('parse lists and name the variable of every problem at once', () => {
    expect(loadConfig({ HOLIDAYS: '2026-10-01, 2026-10-02', FINE_SCHEDULE: '10,30' })).toMatchObject({ HOLIDAYS: ['2026-10-01', '2026-10-02'], FINE_SCHEDULE: [10, 30] });
    const found = problems({ HOLIDAYS: '2026-13-01', FINE_SCHEDULE: '20,-5', CALLBACK_DAY_START: '8am', ADMIN_ALERT_PHONES: '13800000000', FINE_PERIOD: 'year' });
    for (const name of ['HOLIDAYS', 'FINE_SCHEDULE', 'CALLBACK_DAY_START', 'ADMIN_ALERT_PHONES', 'FINE_PERIOD']) {
      expect(found.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
    expect(problems({ CALLBACK_DAY_START: '20:00', CALLBACK_DAY_END: '08:00' })).toEqual([expect.stringMatching(/^CALLBACK_DAY_END: must be after/)]);
  });
});
