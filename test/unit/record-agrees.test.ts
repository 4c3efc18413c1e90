import { describe, expect, it } from 'vitest';
import { recordAgrees } from '../../src/simulator/simulation';
import type { CallTranscript } from '../../src/simulator/twilio-model';

const start = new Date('2026-12-02T08:00:00Z');
const at = (s: number) => new Date(start.getTime() + s * 1000);
const hungUp = (s: number) => ({ callerHungUp: true, endedByHotline: false, bridgedTo: null, hungUpAt: at(s) }) as unknown as CallTranscript;
const missed = (reason: string, endedAfter: number) => ({ startedAt: start, endedAt: at(endedAfter), outcome: 'missed', missedReason: reason, endedBy: 'system' });

describe('the load run reads an outcome on record as the caller lived it, by who left first', () => {
  it('a caller who hung up while the apology of a miss played was turned away: missed agrees', () => {
    expect(recordAgrees(hungUp(40), missed('all-agents-tried', 30), 60)).toBe(true);
    expect(recordAgrees(hungUp(40), missed('webhook-fallback', 30.4), 60)).toBe(true);
  });

  it('a caller who hung up before the hotline turned them away abandoned the call: missed disagrees', () => {
    expect(recordAgrees(hungUp(25), missed('all-agents-tried', 30), 60)).toBe(false);
    expect(recordAgrees(hungUp(25), { ...missed('x', 30), outcome: 'abandoned', missedReason: null, endedBy: 'caller' }, 60)).toBe(true);
  });

  it('a max-wait miss ended late turned the caller away at the end of the wait', () => {
    expect(recordAgrees(hungUp(70), missed('max-wait', 200), 60)).toBe(true);
    expect(recordAgrees(hungUp(50), missed('max-wait', 200), 60)).toBe(false);
  });

  it('a caller who asked for a callback is missed whenever they hung up; one put through is answered', () => {
    expect(recordAgrees({ ...hungUp(40), endedByHotline: true } as CallTranscript, missed('callback-requested', 30), 60)).toBe(true);
    expect(recordAgrees({ ...hungUp(40), bridgedTo: '+8613800000001' } as CallTranscript, missed('all-agents-tried', 30), 60)).toBe(false);
  });
});
