import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { find, parseTwiml } from '../../src/simulator/twiml-tree';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { randomSid } from '../support/twilio-driver';

/** Two hotline numbers, each with its own group: A answers X (HOTLINE), B answers Y. */
const Y = '+864008005678';
const A = '+8613800000001';
const B = '+8613800000002';
/** More callers than the old single line's window of 50. */
const CROWD = 53;

const caller = (i: number) => `+86139${String(i).padStart(8, '0')}`;
const dialledNumber = (twiml: string) => find(find(parseTwiml(twiml), 'Dial') ?? parseTwiml('<Response/>'), 'Number')?.text ?? null;

describe('a waiting line per hotline number', () => {
  let h: Hotline;
  const hook = (path: string) => h.twilio.url(`/webhooks/voice/${path}`);

  beforeEach(async () => {
    h = await startHotline();
    const a = await h.api.addAgent('Agent A', A);
    const b = await h.api.addAgent('Agent B', B);
    expect((await h.api.post('/api/hotlines', { number: HOTLINE, name: 'X', agentIds: [a.id] })).status).toBe(201);
    expect((await h.api.post('/api/hotlines', { number: Y, name: 'Y', agentIds: [b.id] })).status).toBe(201);
  });
  afterEach(async () => {
    await h.close();
  });

  /** A takes a call of X and talks; then `n` more callers of X arrive and hold. Returns the talking call's attempt and the holders' sids. */
  const aTalkingAndCrowdHolding = async (n: number) => {
    const talkingSid = randomSid();
    const rung = await h.twilio.post(hook('incoming'), { CallSid: talkingSid, From: caller(0), To: HOTLINE });
    expect(dialledNumber(rung.text)).toBe(A);
    const attempt = /dial-result\?attempt=([0-9a-f-]{36})/.exec(rung.text)![1]!;
    const child = randomSid();
    await h.twilio.post(hook(`screen?attempt=${attempt}`), { CallSid: child });
    await h.twilio.post(hook(`screen-result?attempt=${attempt}`), { CallSid: child, Digits: '1' });
    const holding: string[] = [];
    const heard: string[] = [];
    for (let i = 1; i <= n; i++) {
      h.clock.advance(0.2);
      const sid = randomSid();
      const held = await h.twilio.post(hook('incoming'), { CallSid: sid, From: caller(i), To: HOTLINE });
      expect(held.text).toContain('<Play');
      holding.push(sid);
      heard.push(held.text);
    }
    return { talkingSid, attempt, holding, heard };
  };

  it("rings a caller of Y on Y's idle agent at once, however many callers of X wait for X's busy agent", async () => {
    const { heard } = await aTalkingAndCrowdHolding(CROWD);
    // Each caller of X hears how many are ahead of them in X's line.
    expect(heard[CROWD - 1]).toContain(`您前面还有${CROWD - 1}位`);
    const other = await h.twilio.post(hook('incoming'), { CallSid: randomSid(), From: caller(900), To: Y });
    expect(other.text).not.toContain('您前面还有');
    expect(dialledNumber(other.text)).toBe(B);
  });

  it("with every agent of a line taken, a pass reads only that line's front, however long the line", async () => {
    await aTalkingAndCrowdHolding(CROWD);
    const calls = h.container.calls;
    const byIds = calls.callsByIds.bind(calls);
    const read: string[] = [];
    calls.callsByIds = async (ids) => {
      read.push(...ids);
      return byIds(ids);
    };
    try {
      await h.container.hotline.sweepLines();
    } finally {
      calls.callsByIds = byIds;
    }
    // The first caller found A taken; nobody behind them was read (the old pass read 50).
    expect(read.length).toBeGreaterThan(0);
    expect(read.length).toBeLessThanOrEqual(10);
  });

  it('ends at the maximum wait every caller whose wait ran out, at any place in the line, by the sweep alone', async () => {
    const { holding } = await aTalkingAndCrowdHolding(CROWD);
    const moved = new Set<string>();
    nock(TWILIO_API)
      .persist()
      .post(new RegExp(`^/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/CA[0-9a-f]{32}\\.json$`))
      .reply(200, (uri) => {
        moved.add(/Calls\/(CA[0-9a-f]{32})\.json/.exec(uri)![1]!);
        return { status: 'in-progress' };
      });
    // Every wait has run out; the hold music of none of them has ended (no recheck comes).
    h.clock.advance(h.config.MAX_CALLER_WAIT_SECONDS);
    await h.container.hotline.sweepLines();
    expect([...moved].sort()).toEqual([...holding].sort());
    // Each moved caller's new document ends their wait: missed at the maximum wait, with a callback.
    const last = holding[CROWD - 1]!;
    const calls = (await h.api.get('/api/calls')).body.calls as { id: string; callSid: string }[];
    const ending = await h.twilio.post(hook(`hold?call=${calls.find((c) => c.callSid === last)!.id}`), { CallSid: last });
    expect(ending.text).toContain('<Hangup');
    const after = (await h.api.get('/api/calls')).body.calls.find((c: { callSid: string }) => c.callSid === last);
    expect(after).toMatchObject({ outcome: 'missed', missedReason: 'max-wait' });
  });
});
