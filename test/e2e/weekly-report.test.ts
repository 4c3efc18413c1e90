import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, playCallbackCall, type RestCapture } from '../support/outbound-call';

const A = '+8613800000001';
// Monday 10:00 in Shanghai, in ISO week 2026-W48.
const START = '2026-11-23T02:00:00Z';

describe('the weekly summary (R7)', () => {
  let h: Hotline;
  let rest: RestCapture;
  let agentA: string;

  beforeEach(async () => {
    h = await startHotline({}, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agentA = (await h.api.addAgent('Agent A', A)).id;
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  const scheduler = () => (h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).scheduler;

  it('adds up the week: answered and unanswered calls, ratings, callbacks on time and late, fines, per agent', async () => {
    // An answered call, rated 5 after the agent hangs up.
    await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 2 } }, onGather: () => ({ digits: '5' }) });
    // Two missed calls: both become callbacks owned by agent A, who let the phone ring.
    h.clock.advance(60);
    await h.twilio.placeCall({ from: '+8613911110002', to: HOTLINE });
    h.clock.advance(60);
    await h.twilio.placeCall({ from: '+8613911110003', to: HOTLINE });
    await scheduler().runDue(h.clock.now());
    const open = (await h.api.get('/api/callbacks?status=open')).body.callbacks as { id: string; phone: string }[];
    expect(open).toHaveLength(2);

    // One is returned in time (the customer does not answer: it was still called back) ...
    const returned = open.find((c) => c.phone === '+8613911110003')!;
    expect((await h.api.post(`/api/callbacks/${returned.id}/dial`)).status).toBe(202);
    const placed = rest.calls.at(-1)!;
    await playCallbackCall(h.twilio, h.clock, placed, { does: 'press', digit: '1' }, { does: 'no-answer' });
    // ... the other lapses: past its 2-hour deadline the owner is fined 20.
    h.clock.advance(3 * 3600);
    await scheduler().runDue(h.clock.now());

    const report = await h.api.get('/api/reports/weekly?week=2026-W48');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      week: '2026-W48',
      from: '2026-11-22T16:00:00.000Z',
      to: '2026-11-29T16:00:00.000Z',
      calls: { offered: 3, answered: 1, missed: 2, abandoned: 0, answerRate: 1 / 3, serviceLevel: 1 / 3, byType: { unrecorded: 1 } },
      callbacks: { created: 2, onTime: 1, late: 1, onTimeRate: 0.5 },
      ratings: { offered: 1, rated: 1, average: 5, distribution: { '5': 1 } },
      fines: { count: 1, waived: 0, total: 20 },
    });
    expect(report.body.days[0]).toMatchObject({ date: '2026-11-23', offered: 3, answered: 1, missed: 2 });
    expect(report.body.days.slice(1).every((d: { offered: number }) => d.offered === 0)).toBe(true);
    expect(report.body.agents).toEqual([
      expect.objectContaining({ agentId: agentA, name: 'Agent A', offers: 3, accepted: 1, answeredWithinRule: 1, averageRating: 5, callbacksOwned: 2, callbacksOnTime: 1, callbacksLate: 1, fines: 1, fineTotal: 20 }),
    ]);

    const empty = await h.api.get('/api/reports/weekly?week=2026-W47');
    expect(empty.body).toMatchObject({ calls: { offered: 0, answerRate: null }, callbacks: { created: 0, onTimeRate: null }, agents: [] });
    expect((await h.api.get('/api/reports/weekly?week=2026-48')).body.error.field).toBe('week');
  });

  it('defaults to the last complete week in the hotline time zone', async () => {
    const res = await h.api.get('/api/reports/weekly');
    expect(res.body).toMatchObject({ week: '2026-W47', complete: true });
  });
});
