import { describe, expect, it } from 'vitest';
import type { Agent, Candidates, RosterPort } from '../../src/domain/ports';
import { FactsCache } from '../../src/postgres/facts-cache';
import { LastKnownRoster } from '../../src/spool/last-known-roster';

const T0 = new Date('2026-12-07T02:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const agent = (id: string) => ({ id, name: id, phone: `+861380000${id}`, active: true, paused: false }) as unknown as Agent;

/** A roster that counts its reads, answering what `onDuty` holds at the time of the read. */
function countingRoster() {
  const r = {
    reads: 0,
    onDuty: [agent('0001')],
    candidates: async (): Promise<Candidates> => {
      r.reads++;
      return { agents: [...r.onDuty], skipped: [] };
    },
    noteSkipped: async () => undefined,
    offerEnded: async () => undefined,
  };
  return r;
}

describe('the roster kept for outages', () => {
  it('is refreshed through the facts the call flow reads: nothing is read again until a change is written or announced', async () => {
    const roster = countingRoster();
    const facts = new FactsCache();
    const kept = new LastKnownRoster(roster as RosterPort, facts);
    await kept.refresh('+864001', at(0));
    await kept.refresh('+864001', at(100));
    await kept.refresh('+864001', at(200));
    // One read for three refreshes: a 1,000-agent roster is not read again every few seconds beside the webhooks.
    expect(roster.reads).toBe(1);
    expect(kept.agentsFor('+864001').map((a) => a.id)).toEqual(['0001']);

    // An agent goes on duty: the write drops the facts, and the next refresh keeps what is on record now.
    roster.onDuty = [agent('0001'), agent('0002')];
    facts.invalidate();
    await kept.refresh('+864001', at(300));
    expect(roster.reads).toBe(2);
    expect(kept.agentsFor('+864001').map((a) => a.id)).toEqual(['0001', '0002']);
  });

  it('without the facts reads the roster at every refresh', async () => {
    const roster = countingRoster();
    const kept = new LastKnownRoster(roster as RosterPort);
    await kept.refresh('+864001', at(0));
    await kept.refresh('+864001', at(100));
    expect(roster.reads).toBe(2);
  });
});
