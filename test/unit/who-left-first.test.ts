import { describe, expect, it } from 'vitest';
import { callerLeftFirst, turnedAwayAt } from '../../src/domain/who-left-first';

const start = new Date('2026-11-23T02:00:00Z');
const at = (s: number) => new Date(start.getTime() + s * 1000);
const missed = (reason: string, endedAt: number) => ({ startedAt: start, endedAt: at(endedAt), outcome: 'missed', missedReason: reason, endedBy: 'system' });

describe('who left first', () => {
  it('a max-wait miss turns the caller away at the end of their wait, or when the hotline said goodbye sooner', () => {
    expect(turnedAwayAt(missed('max-wait', 52), 60)).toEqual(at(52));
    expect(turnedAwayAt(missed('max-wait', 63), 60)).toEqual(at(60));
  });

  it('a fallback or any other miss turns the caller away when the hotline decided it', () => {
    expect(turnedAwayAt(missed('webhook-fallback', 12.4), 60)).toEqual(at(12.4));
    expect(turnedAwayAt(missed('all-agents-tried', 30), 60)).toEqual(at(30));
  });

  it('never second-guesses a callback the caller asked for, an abandon or an answer', () => {
    expect(turnedAwayAt(missed('callback-requested', 20), 60)).toBeNull();
    expect(turnedAwayAt({ ...missed('max-wait', 52), outcome: 'abandoned', endedBy: 'caller' }, 60)).toBeNull();
    expect(turnedAwayAt({ ...missed('max-wait', 52), outcome: 'answered', endedBy: 'agent' }, 60)).toBeNull();
  });

  it('a hang-up stamped in the same whole second as the moment leaves the hotline\'s word standing', () => {
    expect(callerLeftFirst(at(59), at(60))).toBe(true);
    expect(callerLeftFirst(at(60), at(60))).toBe(false);
    expect(callerLeftFirst(at(12), at(12.4))).toBe(false);
    expect(callerLeftFirst(at(11), at(12.4))).toBe(true);
  });
});
