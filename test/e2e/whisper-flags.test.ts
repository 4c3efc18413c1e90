import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { afterCallOf, interceptAfterCallRest } from '../support/after-call';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';

const CALLER = '+8613911112222';
const OTHER = '+8613977778888';
const A = '+8613800000001';
const B = '+8613800000002';
// 2026-11-23 10:00 in Shanghai (TIME_ZONE's default).
const START = '2026-11-23T02:00:00Z';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 } as const;
const ORDINARY = '热线来电，按1接听。';

describe('the whisper tells the agent what matters about the caller', () => {
  let h: Hotline;

  beforeEach(async () => {
    h = await startHotline({}, START);
    interceptAfterCallRest(h);
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await h.api.addAgent('Agent A', A);
    await h.api.addAgent('Agent B', B);
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const missedCall = (from: string) => h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: { does: 'ring-out' }, [B]: { does: 'ring-out' } } });
  const answered = (from: string) => h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
  const outcomes = async () => ((await h.api.get('/api/calls')).body.calls as { from: string; outcome: string }[]).map((c) => [c.from, c.outcome]);

  it('says nothing more for an ordinary caller', async () => {
    const t = await answered(CALLER);
    expect(t.whispers).toEqual([ORDINARY]);
  });

  it('names an open complaint case, and both flags when the caller was also missed today', async () => {
    await answered(CALLER);
    await afterCallOf(h).settled();
    const id = (await h.api.get('/api/calls')).body.calls[0].id as string;
    expect((await h.api.patch(`/api/calls/${id}`, { type: 'complaint' })).status).toBe(200);
    expect((await h.api.get('/api/complaints')).body.complaints).toHaveLength(1);

    h.clock.advance(600);
    const again = await answered(CALLER);
    expect(again.whispers).toEqual(['有未结投诉。' + ORDINARY]);
    // Another caller's whisper is untouched by it.
    h.clock.advance(600);
    expect((await answered(OTHER)).whispers).toEqual([ORDINARY]);

    // Missed since: both, the complaint first.
    h.clock.advance(600);
    await missedCall(CALLER);
    h.clock.advance(600);
    expect((await answered(CALLER)).whispers).toEqual(['有未结投诉。今日未接通。' + ORDINARY]);
  });

  it('names a caller missed earlier today, not one missed yesterday', async () => {
    // 2026-11-22 23:00 in Shanghai: yesterday.
    h.clock.set('2026-11-22T15:00:00Z');
    await missedCall(OTHER);
    h.clock.set(START);
    await missedCall(CALLER);
    expect(await outcomes()).toEqual(expect.arrayContaining([[CALLER, 'missed'], [OTHER, 'missed']]));

    h.clock.advance(1800);
    expect((await answered(CALLER)).whispers).toEqual(['今日未接通。' + ORDINARY]);
    h.clock.advance(600);
    expect((await answered(OTHER)).whispers).toEqual([ORDINARY]);
  });
});
