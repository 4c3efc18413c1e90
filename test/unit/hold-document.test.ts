import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../src/domain/ports';
import { CallDocuments, type WaitingOffer } from '../../src/routing/call-documents';
import { holdTwiml } from '../../src/routing/routing-twiml';
import { speaker } from '../../src/twiml/hotline-twiml';

const settings = { publicBaseUrl: 'https://hotline.example.test', agentRingSeconds: 15, maxCallerWaitSeconds: 60, maxTalkSeconds: 3600, holdMusicUrl: 'https://music.example.test/hold.mp3' };
const zh = speaker('zh-CN');
const offer: WaitingOffer = { prompt: '如需回电请按1。', timeoutSeconds: 3, actionUrl: (id) => `https://hotline.example.test/webhooks/voice/callback-offer?call=${id}` };
const callWithId = (id: string) => ({ id }) as Call;

/** The hold document built from scratch, as CallDocuments did before it kept them. */
const built = (id: string, ahead: number, withOffer: WaitingOffer | null) =>
  holdTwiml(zh, {
    text: zh.text.allBusy(ahead),
    musicUrl: settings.holdMusicUrl,
    keyAction: withOffer ? { prompt: withOffer.prompt, actionUrl: withOffer.actionUrl(id) } : undefined,
    recheckUrl: `${settings.publicBaseUrl}/webhooks/voice/hold?${new URLSearchParams({ call: id, recheck: '1' }).toString()}`,
  });

describe('the hold document, kept per count of callers ahead', () => {
  it("is, for every caller, the document built from scratch with that caller's id and count", () => {
    const docs = new CallDocuments(settings, zh);
    for (const withOffer of [null, offer]) {
      docs.offer = withOffer;
      for (const ahead of [0, 1, 7, 0, 7, 200, 201, 5000]) {
        const id = randomUUID();
        const doc = docs.hold(callWithId(id), ahead);
        expect(doc).toBe(built(id, ahead, withOffer));
        // The stand-in id never reaches a caller.
        expect(doc).not.toContain('00000000-0000-0000-0000-000000000000');
      }
    }
  });

  it('is built again when the callback offer arrives after the first caller held', () => {
    const docs = new CallDocuments(settings, zh);
    const first = randomUUID();
    expect(docs.hold(callWithId(first), 2)).toBe(built(first, 2, null));
    docs.offer = offer;
    const second = randomUUID();
    expect(docs.hold(callWithId(second), 2)).toBe(built(second, 2, offer));
    expect(docs.hold(callWithId(second), 2)).toContain('callback-offer');
  });

  it('builds an id that is not a lowercase UUID from scratch, escaped, instead of pasting it in', () => {
    const docs = new CallDocuments(settings, zh);
    docs.offer = offer;
    docs.hold(callWithId(randomUUID()), 1);
    const odd = 'A&B<1>';
    expect(docs.hold(callWithId(odd), 1)).toBe(built(odd, 1, offer));
  });
});
