import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const CALLER = '+8613911113333';
const A = '+8613800000001';
const B = '+8613800000002';

/**
 * Why agents were passed over is noted beside the offer, and the caller's answer does not wait
 * for the note (scripts/bench-scale.ts: with hundreds of busy agents the note took longer than
 * the offer). A read of the call still shows the note: it waits for the notes under way.
 */
describe('the note of the agents a hunt passed over', () => {
  let h: Hotline;
  let ids: Record<string, string>;
  /** What the database was asked about skip notes, in order. */
  let seen: string[];
  let releaseNote: () => void;

  beforeEach(async () => {
    h = await startHotline();
    ids = { [A]: (await h.api.addAgent('Agent A', A)).id, [B]: (await h.api.addAgent('Agent B', B)).id };
    seen = [];
    const held = new Promise<void>((resolve) => (releaseNote = resolve));
    const db = h.container.db;
    const query = db.query.bind(db);
    db.query = (async (sql: string, params?: unknown[]) => {
      if (sql.includes('INSERT INTO call_skip_notes')) {
        seen.push('note held');
        await held;
        const rows = await query(sql, params);
        seen.push('note written');
        return rows;
      }
      if (sql.includes('FROM call_skip_notes')) seen.push('notes read');
      return query(sql, params);
    }) as typeof db.query;
  });
  afterEach(async () => {
    releaseNote();
    await h.close();
  });

  it('a caller is answered with the next free agent while the note that the first was busy is still being written; the call read then shows it', async () => {
    // Agent A is talking on another call.
    expect(await h.container.coordinator.claimFirstFree([ids[A]!], 'another-call:0', 60_000)).toBe(ids[A]);

    const res = await h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), { CallSid: 'CA' + '5'.repeat(32), From: CALLER, To: HOTLINE });
    expect(res.status).toBe(200);
    expect(res.text).toContain(`>${B}</Number>`);
    // Answered while the note was held.
    expect(seen).toEqual(['note held']);

    // A read of the call begun now waits for the note, whenever it is written.
    const read = h.api.get('/api/calls');
    setTimeout(() => releaseNote(), 300);
    const list = await read;
    expect(seen).toEqual(['note held', 'note written', 'notes read']);
    expect(list.body.calls[0].skipped).toEqual([{ agentId: ids[A], reason: 'busy' }]);
    expect(list.body.calls[0].attempts).toEqual([expect.objectContaining({ agentId: ids[B] })]);
  });
});
