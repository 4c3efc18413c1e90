import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../src/domain/ports';
import { CallDocuments, type WaitingOffer } from '../../src/routing/call-documents';
import { holdTwiml } from '../../src/routing/routing-twiml';
import { speaker, type Speaker } from '../../src/twiml/hotline-twiml';

const settings = { publicBaseUrl: 'https://hotline.example.test', agentRingSeconds: 15, maxCallerWaitSeconds: 60, maxTalkSeconds: 3600, holdMusicUrl: 'https://music.example.test/hold.mp3' };
const offer: WaitingOffer = { prompt: '如需回电请按1。', timeoutSeconds: 3, actionUrl: (id) => `https://hotline.example.test/webhooks/voice/callback-offer?call=${id}` };
const callWithId = (id: string) => ({ id }) as Call;

/** The hold document built from scratch, as CallDocuments did before it kept one. */
const built = (s: Speaker, id: string, ahead: number, withOffer: WaitingOffer | null) =>
  holdTwiml(s, {
    text: s.text.allBusy(ahead),
    musicUrl: settings.holdMusicUrl,
    keyAction: withOffer ? { prompt: withOffer.prompt, actionUrl: withOffer.actionUrl(id) } : undefined,
    recheckUrl: `${settings.publicBaseUrl}/webhooks/voice/hold?${new URLSearchParams({ call: id, recheck: '1' }).toString()}`,
  });

/** A speaker whose count of callers ahead comes with characters XML escapes, and a replacement pattern. */
const awkward: Speaker = (() => {
  const zh = speaker('zh-CN');
  return { ...zh, text: { ...zh.text, allBusy: (ahead: number) => `<${ahead}> & "more" $& $' \r ahead` } };
})();

describe('the hold document, built once with stand-ins', () => {
  it("is, for every caller, the document built from scratch with that caller's id and count", () => {
    for (const s of [speaker('zh-CN'), speaker('en-US'), awkward]) {
      const docs = new CallDocuments(settings, s);
      for (const withOffer of [null, offer]) {
        docs.offer = withOffer;
        for (const ahead of [0, 1, 7, 0, 7, 200, 5000]) {
          const id = randomUUID();
          const doc = docs.hold(callWithId(id), ahead);
          expect(doc).toBe(built(s, id, ahead, withOffer));
          // No stand-in reaches a caller.
          expect(doc).not.toContain('00000000-0000-0000-0000-000000000000');
          expect(doc).not.toContain('THREERING-HOLD-TEXT');
        }
      }
    }
  });

  it('is built again when the callback offer arrives after the first caller held', () => {
    const zh = speaker('zh-CN');
    const docs = new CallDocuments(settings, zh);
    const first = randomUUID();
    expect(docs.hold(callWithId(first), 2)).toBe(built(zh, first, 2, null));
    docs.offer = offer;
    const second = randomUUID();
    expect(docs.hold(callWithId(second), 2)).toBe(built(zh, second, 2, offer));
    expect(docs.hold(callWithId(second), 2)).toContain('callback-offer');
  });

  it('builds an id that is not a lowercase UUID from scratch, escaped, instead of pasting it in', () => {
    const zh = speaker('zh-CN');
    const docs = new CallDocuments(settings, zh);
    docs.offer = offer;
    docs.hold(callWithId(randomUUID()), 1);
    const odd = 'A&B<1>';
    expect(docs.hold(callWithId(odd), 1)).toBe(built(zh, odd, 1, offer));
  });
});
