import { describe, expect, it } from 'vitest';
import { parseDaySpans } from '../../src/console/roster-pages';
import { leaveCollisions } from '../../src/domain/leave-conflicts';
import type { LeaveSpan } from '../../src/domain/shifts';

const at = (s: string) => new Date(`${s}T00:00:00Z`);
const leave = (id: string, agentId: string, substituteAgentId: string, kind: LeaveSpan['kind'], from: string, to: string): LeaveSpan => ({ id, agentId, substituteAgentId, kind, start: at(from), end: at(to) });

describe('what a leave collides with', () => {
  const zhang = leave('L1', 'zhang', 'li', 'annual', '2026-12-01', '2026-12-04');

  it('names the substitute away, the agent already away, another annual leave and a cover duty', () => {
    expect(leaveCollisions(leave('x', 'wang', 'zhang', 'sick', '2026-12-02', '2026-12-03'), [zhang])).toEqual([{ kind: 'substitute-away', with: zhang }]);
    expect(leaveCollisions(leave('x', 'zhang', 'wang', 'sick', '2026-12-03', '2026-12-05'), [zhang])).toEqual([{ kind: 'own-leave', with: zhang }]);
    expect(leaveCollisions(leave('x', 'wang', 'zhao', 'annual', '2026-12-03', '2026-12-05'), [zhang])).toEqual([{ kind: 'annual', with: zhang }]);
    expect(leaveCollisions(leave('x', 'li', 'zhao', 'personal', '2026-12-03', '2026-12-05'), [zhang])).toEqual([{ kind: 'covering', with: zhang }]);
  });

  it('finds nothing for leave that only touches, another kind beside an annual leave, or the leave itself', () => {
    expect(leaveCollisions(leave('x', 'wang', 'zhao', 'annual', '2026-12-04', '2026-12-06'), [zhang])).toEqual([]);
    expect(leaveCollisions(leave('x', 'wang', 'zhao', 'sick', '2026-12-02', '2026-12-03'), [zhang])).toEqual([]);
    expect(leaveCollisions(zhang, [zhang])).toEqual([]);
  });
});

describe('a weekday of a weekly pattern as typed in the roster page', () => {
  it('reads one or several spans, overnight ones included, and a blank day as none', () => {
    expect(parseDaySpans(1, '08:00-20:00')).toEqual([{ day: 1, start: '08:00', end: '20:00' }]);
    expect(parseDaySpans(3, '09:00-12:00, 14:00–18:00，20:00~08:00')).toEqual([
      { day: 3, start: '09:00', end: '12:00' },
      { day: 3, start: '14:00', end: '18:00' },
      { day: 3, start: '20:00', end: '08:00' },
    ]);
    expect(parseDaySpans(7, '  ')).toEqual([]);
  });

  it('refuses what is not HH:MM-HH:MM, naming the day', () => {
    expect(() => parseDaySpans(2, '8-20')).toThrow(/day2: write times as 08:00-20:00/);
    expect(() => parseDaySpans(2, '08:00-24:00')).toThrow(/day2/);
  });
});
