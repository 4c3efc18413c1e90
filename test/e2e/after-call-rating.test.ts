import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallNotesStore } from '../../src/postgres/call-notes-store';
import { prompts } from '../../src/twiml/prompts';
import { afterCallOf, interceptAfterCallRest, pagePathIn, rates, type AfterCallRest } from '../support/after-call';
import { HOTLINE, PUBLIC_BASE_URL, startHotline, type Hotline } from '../support/hotline-harness';
import { find } from '../../src/simulator/twiml-tree';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const B = '+8613800000002';
const say = prompts['zh-CN'];

describe('after the talk, the caller is asked to rate the service', () => {
  let h: Hotline;
  let rest: AfterCallRest;
  let agents: Record<string, string>;

  beforeEach(async () => {
    h = await startHotline();
    rest = interceptAfterCallRest(h);
    agents = {};
    for (const [name, phone] of [['Agent A', A], ['Agent B', B]] as const) agents[phone] = (await h.api.addAgent(name, phone)).id;
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const onlyCall = async () => {
    const list = await h.api.get('/api/calls');
    expect(list.body.calls).toHaveLength(1);
    return list.body.calls[0];
  };
  const ratingRows = () => h.container.db.query<{ agent_id: string; status: string; score: number | null }>('SELECT agent_id, status, score FROM call_ratings');

  it('when the agent hangs up first, the caller hears thanks, rates 5, and the rating counts for that agent', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', talkSeconds: 90, hangsUpFirst: 'agent' } }, onGather: rates({ digits: '5' }) });
    expect(t.bridgedTo).toBe(A);
    expect(t.callerHeard).toContain(say.ratingRequest);
    expect(t.callerHeard.at(-1)).toBe(say.ratingThanks);
    expect(find(t.documents.at(-1)!, 'Hangup')).toBeDefined();
    const gather = t.documents.map((d) => find(d, 'Gather')).find((g) => g?.attrs.action?.includes('/voice/rating'))!;
    expect(gather.attrs).toMatchObject({ input: 'dtmf', numDigits: '1', timeout: '6', actionOnEmptyResult: 'true' });

    const call = await onlyCall();
    expect(call).toMatchObject({ outcome: 'answered', endedBy: 'agent', talkSeconds: 90, rating: 5, ratingStatus: 'rated', answeredByAgentId: agents[A] });
    expect(gather.attrs.action).toBe(`${PUBLIC_BASE_URL}/webhooks/voice/rating?call=${call.id}&try=1`);
    expect(await ratingRows()).toEqual([{ agent_id: agents[A], status: 'rated', score: 5 }]);

    // Twilio repeating the request changes nothing.
    const again = await h.twilio.post(gather.attrs.action!, { CallSid: t.callSid, Digits: '2', CallStatus: 'in-progress' });
    expect(again.status).toBe(200);
    expect((await onlyCall()).rating).toBe(5);
  });

  it('texts the answering agent, through the REST client, a link to the call page (no full caller number in the SMS)', async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept' } }, onGather: rates({ digits: '4' }) });
    await afterCallOf(h).settled();
    expect(rest.sms).toHaveLength(1);
    const sms = rest.sms[0]!;
    expect(sms).toMatchObject({ To: A, From: HOTLINE });
    expect(sms.Body).not.toContain(CALLER);
    expect(sms.Body).toContain('+86*******2222');
    const page = await request(h.app).get(pagePathIn(sms.Body!));
    expect(page.status).toBe(200);
    expect(page.text).toContain(CALLER);
  });

  it('keeps no rating, and says why, when the caller hangs up first', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', talkSeconds: 30, hangsUpFirst: 'caller' } }, onGather: rates({ digits: '5' }) });
    expect(t.callerHeard).not.toContain(say.ratingRequest);
    const call = await onlyCall();
    expect(call).toMatchObject({ outcome: 'answered', endedBy: 'caller', talkSeconds: 30, rating: null, ratingStatus: 'caller-hung-up-first' });
    expect(await ratingRows()).toEqual([]);
  });

  it('leaves a complete call with no rating when the caller hangs up during the survey', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', talkSeconds: 45 } }, onGather: rates('hang-up') });
    expect(t.callerHeard).toContain(say.ratingRequest);
    expect(t.callerHungUp).toBe(true);
    const call = await onlyCall();
    expect(call).toMatchObject({ state: 'ended', outcome: 'answered', endedBy: 'agent', talkSeconds: 45, rating: null, ratingStatus: 'caller-left-survey' });
    expect(call.endedAt).not.toBeNull();
    expect(await ratingRows()).toEqual([{ agent_id: agents[A], status: 'offered', score: null }]);
  });

  it('asks once more after an invalid key, then takes the valid one', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept' } }, onGather: rates({ digits: '9' }, { digits: '4' }) });
    expect(t.callerHeard.filter((s) => s === say.ratingRetry)).toHaveLength(1);
    const actions = t.documents.map((d) => find(d, 'Gather')?.attrs.action).filter((a) => a?.includes('/voice/rating'));
    expect(actions.map((a) => new URL(a!).searchParams.get('try'))).toEqual(['1', '2']);
    expect(t.callerHeard.at(-1)).toBe(say.ratingThanks);
    expect(await onlyCall()).toMatchObject({ rating: 4, ratingStatus: 'rated' });
  });

  it('says goodbye without a rating after no input twice', async () => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept' } }, onGather: rates('silence', 'silence', { digits: '5' }) });
    expect(t.callerHeard.filter((s) => s === say.ratingRetry)).toHaveLength(1);
    expect(t.callerHeard.at(-1)).toBe(say.ratingGoodbye);
    expect(find(t.documents.at(-1)!, 'Hangup')).toBeDefined();
    expect(await onlyCall()).toMatchObject({ rating: null, ratingStatus: 'no-input', endedBy: 'agent' });
  });

  it('gives up after an invalid key on the second try too, and says so', async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept' } }, onGather: rates('silence', { digits: '0' }) });
    expect(await onlyCall()).toMatchObject({ rating: null, ratingStatus: 'invalid-input' });
  });

  it("hands the caller over from the agent's page: the caller's leg is redirected by REST, the late <Dial> action changes nothing", async () => {
    const handover = async () => {
      await afterCallOf(h).settled();
      const path = pagePathIn(rest.sms[0]!.Body!);
      const page = await request(h.app).get(path);
      expect(page.text).toContain(`action="${path}/handover"`);
      const res = await request(h.app).post(`${path}/handover`).type('form').send({});
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`${path}?done=handed-over`);
    };
    const t = await h.twilio.placeCall({
      from: CALLER,
      to: HOTLINE,
      agents: { [A]: { does: 'accept', talkSeconds: 120, whileTalking: handover } },
      onGather: rates({ digits: '4' }),
    });
    const call = await onlyCall();
    expect(rest.redirects).toEqual([{ sid: t.callSid, Url: `${PUBLIC_BASE_URL}/webhooks/voice/rating-start?call=${call.id}`, Method: 'POST' }]);
    expect(t.callerHeard).toContain(say.ratingRequest);
    expect(t.callerHeard.at(-1)).toBe(say.ratingThanks);
    expect(call).toMatchObject({ outcome: 'answered', endedBy: 'agent-handover', talkSeconds: 120, rating: 4, ratingStatus: 'rated' });
    expect(call.attempts[0].outcome).toBe('accepted');
    expect(await h.container.coordinator.holderOf(agents[A]!)).toBeNull();

    // The page now shows the call over; a second hand-over redirects nothing.
    const path = pagePathIn(rest.sms[0]!.Body!);
    const page = await request(h.app).get(path);
    expect(page.text).not.toContain('/handover"');
    const again = await request(h.app).post(`${path}/handover`).type('form').send({});
    expect(again.headers.location).toBe(`${path}?done=not-live`);
    expect(rest.redirects).toHaveLength(1);
  });

  it('records the hand-over even when the old <Dial> action reaches us before the REST call returns', async () => {
    const t = await h.twilio.placeCall({
      from: CALLER,
      to: HOTLINE,
      agents: {
        [A]: {
          does: 'accept',
          talkSeconds: 50,
          // The hand-over is marked and Twilio has redirected the caller, but the page's request has not finished yet.
          whileTalking: async () => {
            const call = (await h.api.get('/api/calls')).body.calls[0];
            expect(await new CallNotesStore(h.container.db).requestHandover(call.id, agents[A]!, h.clock.now())).toBe(true);
            h.twilio.redirectCall(call.callSid, `${PUBLIC_BASE_URL}/webhooks/voice/rating-start?call=${call.id}`);
          },
        },
      },
      onGather: rates({ digits: '5' }),
    });
    const call = await onlyCall();
    expect(call).toMatchObject({ endedBy: 'agent-handover', talkSeconds: 50, rating: 5 });
    expect(t.callerHeard.filter((s) => s === say.ratingRequest)).toHaveLength(1);
    // The page's own ending then finds the call over and changes nothing.
    expect(await h.container.hotline.endByHandover(call.id)).toBeNull();
    expect((await onlyCall()).endedBy).toBe('agent-handover');
  });

  it('leaves the call going when Twilio refuses the hand-over', async () => {
    let status = 0;
    const t = await h.twilio.placeCall({
      from: CALLER,
      to: HOTLINE,
      agents: {
        [A]: {
          does: 'accept',
          talkSeconds: 60,
          whileTalking: async () => {
            await afterCallOf(h).settled();
            // Twilio answers 21220 when the call is no longer in progress.
            nock.cleanAll();
            nock('https://api.twilio.com').post(/Calls\/CA/).reply(400, { code: 21220, message: 'Call is not in-progress' });
            status = (await request(h.app).post(`${pagePathIn(rest.sms[0]!.Body!)}/handover`).type('form').send({})).status;
          },
        },
      },
      onGather: rates({ digits: '3' }),
    });
    expect(status).toBe(502);
    expect(t.callerHeard).toContain(say.ratingRequest);
    expect(await onlyCall()).toMatchObject({ endedBy: 'agent', rating: 3 });
  });
});
