import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { find, parseTwiml } from '../../src/simulator/twiml-tree';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { randomSid } from '../support/twilio-driver';

const A = '+8613800000001';
const METRICS_TOKEN = 'test-metrics-token-0123456789';
const caller = (i: number) => `+86139${String(i).padStart(8, '0')}`;
const CALL_UPDATE = new RegExp(`^/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/CA[0-9a-f]{32}\\.json$`);
/** Long enough for every check below; it only turns a webhook held up by another call's REST move into a failure instead of a hang. */
const PATIENCE = { timeout: 60_000, interval: 50 };

/** Twilio's REST API, holding every call update until the test lets them through. */
function slowTwilioApi() {
  const pending: { sid: string; url: string }[] = [];
  const answered: { sid: string; status: number }[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const replies: number[] = [];
  nock(TWILIO_API)
    .persist()
    .post(CALL_UPDATE)
    .reply(async (uri, body) => {
      const sid = /Calls\/(CA[0-9a-f]{32})\.json/.exec(uri)![1]!;
      pending.push({ sid, url: new URLSearchParams(String(body)).get('Url') ?? '' });
      await gate;
      const status = replies.shift() ?? 200;
      answered.push({ sid, status });
      return [status, status === 200 ? { sid, status: 'in-progress' } : { code: 20500, message: 'Internal Server Error', status }];
    });
  return { pending, answered, open, replies };
}

describe("other callers' REST moves are made off the request path", () => {
  let h: Hotline;
  const hook = (path: string) => h.twilio.url(`/webhooks/voice/${path}`);

  beforeEach(async () => {
    h = await startHotline({ METRICS_TOKEN });
    await h.api.addAgent('Agent A', A);
  });
  afterEach(async () => {
    await h.close();
  });

  /** A talks with the first caller while `n` more callers hold. */
  const aTalkingWhileOthersHold = async (n: number) => {
    const talkingSid = randomSid();
    const rung = await h.twilio.post(hook('incoming'), { CallSid: talkingSid, From: caller(0), To: HOTLINE });
    const attempt = /dial-result\?attempt=([0-9a-f-]{36})/.exec(rung.text)![1]!;
    const child = randomSid();
    await h.twilio.post(hook(`screen?attempt=${attempt}`), { CallSid: child });
    await h.twilio.post(hook(`screen-result?attempt=${attempt}`), { CallSid: child, Digits: '1' });
    const holding: string[] = [];
    for (let i = 1; i <= n; i++) {
      const sid = randomSid();
      expect((await h.twilio.post(hook('incoming'), { CallSid: sid, From: caller(i), To: HOTLINE })).text).toContain('<Play');
      holding.push(sid);
    }
    const talkEnds = () =>
      h.twilio.post(hook(`dial-result?attempt=${attempt}`), { CallSid: talkingSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    return { holding, talkEnds };
  };

  it("answers the caller whose talk ended while the REST move of the next caller to the freed agent is still pending", async () => {
    const { holding, talkEnds } = await aTalkingWhileOthersHold(1);
    const api = slowTwilioApi();
    h.clock.advance(20);
    const answer = await talkEnds();
    // The caller who talked hears the goodbye; the move of the one waiting has not been answered by Twilio.
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('感谢您的来电');
    await vi.waitFor(() => expect(api.pending.map((p) => p.sid)).toEqual(holding), PATIENCE);
    expect(api.answered).toEqual([]);
    api.open();
    await h.container.hotline.moves.settled();
    // The move lands: the waiting caller's new document rings A.
    const moved = await h.twilio.post(api.pending[0]!.url, { CallSid: holding[0]! });
    expect(find(find(parseTwiml(moved.text), 'Dial')!, 'Number')!.text).toBe(A);
    expect(h.container.hotline.moves.outcomes()).toMatchObject({ moved: 1, failed: 0 });
  });

  it('answers while several callers are being moved at once, each move pending at Twilio', async () => {
    const { holding, talkEnds } = await aTalkingWhileOthersHold(3);
    const api = slowTwilioApi();
    // Every waiting caller's wait has run out by the time A is free: each is moved to the end of it.
    h.clock.advance(h.config.MAX_CALLER_WAIT_SECONDS);
    const answer = await talkEnds();
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('感谢您的来电');
    await vi.waitFor(() => expect(api.pending.map((p) => p.sid).sort()).toEqual([...holding].sort()), PATIENCE);
    expect(api.answered).toEqual([]);
    api.open();
    await h.container.hotline.moves.settled();
    expect(h.container.hotline.moves.outcomes()).toMatchObject({ moved: 3 });
  });

  it('tries a failed move again, and counts each outcome on /metrics', async () => {
    const { holding, talkEnds } = await aTalkingWhileOthersHold(1);
    const api = slowTwilioApi();
    // Twilio fails the first try with a 500; the second goes through.
    api.replies.push(500);
    api.open();
    h.clock.advance(20);
    await talkEnds();
    await vi.waitFor(() => expect(api.answered).toEqual([{ sid: holding[0], status: 500 }, { sid: holding[0], status: 200 }]), PATIENCE);
    await h.container.hotline.moves.settled();
    const metrics = await request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(metrics.text).toMatch(/threering_caller_moves_total\{outcome="retried"\} 1/);
    expect(metrics.text).toMatch(/threering_caller_moves_total\{outcome="moved"\} 1/);
  });

  it("a waiting caller whose offer was written but its answer lost (the database flaky) is offered the freed agent again at the next sweep, not when the ring's time is up", async () => {
    const { holding, talkEnds } = await aTalkingWhileOthersHold(1);
    const api = slowTwilioApi();
    api.open();
    const calls = h.container.calls;
    const addAttempt = calls.addAttempt.bind(calls);
    // The offer's row is written, and the connection drops before its answer comes back.
    vi.spyOn(calls, 'addAttempt').mockImplementationOnce(async (a) => {
      await addAttempt(a);
      throw new Error('Connection terminated unexpectedly');
    });
    h.clock.advance(20);
    expect((await talkEnds()).status).toBe(200);
    const waiting = (await calls.getCallBySid(holding[0]!))!;
    await vi.waitFor(async () => expect((await calls.attemptsOf(waiting.id)).map((a) => a.finishedAt)).toEqual([null]), PATIENCE);
    // The request gave back the claim of the offer it could not confirm: A is free, the caller "being moved".
    const [lost] = await calls.attemptsOf(waiting.id);
    expect(await h.container.coordinator.holderOf(lost!.agentId)).toBeNull();

    h.clock.advance(h.config.WAITING_LINE_SWEEP_SECONDS);
    await h.container.hotline.sweepLines();
    await h.container.hotline.moves.settled();
    const after = await calls.attemptsOf(waiting.id);
    expect(after.map((a) => a.outcome)).toEqual(['withdrawn', null]);
    expect(await h.container.coordinator.holderOf(lost!.agentId)).toBe(`${waiting.id}:1`);
    expect(api.pending.map((p) => p.sid)).toEqual([holding[0]]);
  });
});
