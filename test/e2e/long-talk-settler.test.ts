import { afterEach, describe, expect, it } from 'vitest';
import { interceptAfterCallRest, interceptCallFetch } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';

/**
 * The call settler, running on the model's clock as on a server, asks Twilio about a call
 * connected for longer than its grace (two minutes): while Twilio says the caller's leg is in
 * progress, the talk goes on and its agent stays claimed, so the caller waiting behind it is not
 * rung to an agent in the middle of a call.
 */
describe('a talk longer than the call settler’s grace', () => {
  let h: Hotline;
  afterEach(async () => {
    await h?.close();
  });

  it('keeps its agent while Twilio says the call is in progress: the next caller waits for the end of the talk', async () => {
    h = await startHotline({ MAX_CALLER_WAIT_SECONDS: '600' }, undefined, { background: true });
    interceptAfterCallRest(h);
    interceptCallFetch(h);
    await h.api.addAgent('Agent A', A);
    const accepts = (talkSeconds: number) => ({ does: 'accept', ringSeconds: 2, pressAfterSeconds: 1, talkSeconds, hangsUpFirst: 'caller' }) as const;
    const [first, second] = await h.twilio.placeCalls([
      { from: '+8613911110001', to: HOTLINE, agents: { [A]: accepts(200) } },
      { from: '+8613911110002', to: HOTLINE, agents: { [A]: accepts(20) }, arriveAfterSeconds: 30 },
    ]);
    expect(first!.bridgedTo).toBe(A);
    expect(second!.bridgedTo).toBe(A);
    expect(h.twilio.model.doubleRung).toEqual([]);
    // Rung only once the first talk was over (200 s of talk, past the settler's runs at 60, 120 and 180 s).
    expect(second!.dials[0]!.at.getTime()).toBeGreaterThanOrEqual(first!.hungUpAt!.getTime());
    const calls = (await h.api.get('/api/calls')).body.calls as { callSid: string; outcome: string; talkSeconds: number }[];
    expect(calls.find((c) => c.callSid === first!.callSid)).toMatchObject({ outcome: 'answered' });
    expect(calls.find((c) => c.callSid === first!.callSid)!.talkSeconds).toBeGreaterThanOrEqual(199);
  });
});
