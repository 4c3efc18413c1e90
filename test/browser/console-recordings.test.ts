import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingFeature } from '../../src/recordings/recording-feature';
import { FakeTwilioRest } from '../../src/simulator/fake-twilio-rest';
import { sineWav } from '../support/audio';
import { ACCOUNT_SID, AUTH_TOKEN, HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { createAccount, DESKTOP, launchChromium, listen, signIn } from './console-browser';

const A = '+8613800000001';

/** What the test touches of an HTMLAudioElement (the tests compile without the DOM's types). */
interface Audio {
  muted: boolean;
  duration: number;
  error: { code: number } | null;
  play(): Promise<void>;
}

describe('a recording on the call page, in a real browser', () => {
  let h: Hotline;
  let rest: FakeTwilioRest;
  let web: Awaited<ReturnType<typeof listen>>;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let callId: string;
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };
  const viewer = { username: 'li', password: 'li-password-1' };

  beforeAll(async () => {
    rest = new FakeTwilioRest({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    h = await startHotline({ RECORDING: 'on', TWILIO_API_BASE_URL: await rest.listen() }, '2026-11-02T02:00:00Z');
    await h.api.addAgent('张伟', A);
    await createAccount(h, supervisor.username, 'supervisor', supervisor.password);
    await createAccount(h, viewer.username, 'viewer', viewer.password);
    const t = await h.twilio.placeCall({ from: '+8613911110000', to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 40, hangsUpFirst: 'caller' } } });
    // The media Twilio would serve: a real, playable WAV (4 s of a 440 Hz tone).
    rest.media.set(t.recordingSid!, { body: sineWav({ seconds: 4 }), contentType: 'audio/wav' });
    callId = (await h.api.get('/api/calls')).body.calls[0].id;
    web = await listen(h);
    chrome = await launchChromium();
    browser = chrome.browser;
  });
  afterAll(async () => {
    await chrome?.close();
    await web?.close();
    await h?.close();
    await rest?.close();
  });

  it('plays for a supervisor (the audio element advances past 0 s), shows the listen, and shows a viewer no player', async () => {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
    context.setDefaultTimeout(15_000);
    const page = await signIn(context, web.base, supervisor);
    await page.goto(`${web.base}/console/calls/${callId}`);
    const player = page.locator('#recordings audio');
    expect(await player.count()).toBe(1);
    expect(await player.getAttribute('src')).toMatch(new RegExp(`^/api/calls/${callId}/recording\\?`));
    // Muted, as a page may start playing without a click.
    await player.evaluate(async (el) => {
      const a = el as unknown as Audio;
      a.muted = true;
      await a.play();
    });
    // Polled from here: the console's CSP (script-src 'self') refuses waitForFunction's string.
    const currentTime = () => player.evaluate((el) => (el as unknown as { currentTime: number }).currentTime);
    const deadline = Date.now() + 10_000;
    while ((await currentTime()) <= 0.3 && Date.now() < deadline) await page.waitForTimeout(100);
    expect(await currentTime()).toBeGreaterThan(0.3);
    const state = await player.evaluate((el) => {
      const a = el as unknown as Audio;
      return { duration: a.duration, error: a.error?.code ?? null };
    });
    expect(state.error).toBeNull();
    expect(state.duration).toBeCloseTo(4, 0);
    expect(rest.mediaRequests.length).toBeGreaterThan(0);
    const listens = await (h.container.features.find((f) => f.name === 'recordings') as RecordingFeature).service.store.listens({ callId, limit: 10 });
    expect(listens.map((l) => l.actor)).toContain('account:zhou');
    await page.reload();
    expect(await page.locator('table[data-listens]').textContent()).toContain('account:zhou');
    await context.close();

    const other = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
    const seen = await signIn(other, web.base, viewer);
    await seen.goto(`${web.base}/console/calls/${callId}`);
    expect(await seen.locator('#recordings').count()).toBe(1);
    expect(await seen.locator('audio').count()).toBe(0);
    expect(await seen.locator('[data-no-player]').count()).toBe(1);
    // Even asked for directly, with the viewer's session: 403.
    const direct = await seen.request.get(`${web.base}/api/calls/${callId}/recording`, { headers: { Cookie: (await other.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
    expect(direct.status()).toBe(403);
    await other.close();
  });
});
