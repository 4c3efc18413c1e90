import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterCallOf, interceptAfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { consoleBrowser, createAccount, fitsWidth, PHONE, screenshot, signIn, watchProblems } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';

describe('the QC pages in a real browser: the queue, and a review with the player beside the form', () => {
  let h: Hotline;
  const ui = consoleBrowser();
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };
  const viewer = { username: 'li', password: 'li-password-1' };

  beforeAll(async () => {
    // Monday 2 November 2026 in Shanghai; four answered calls that week, then the next Monday.
    h = await startHotline({ QC_SAMPLE_PER_WEEK: '2' }, '2026-11-02T02:00:00Z');
    interceptAfterCallRest(h);
    await h.api.addAgent('张伟', A);
    await h.api.addAgent('李娜', B);
    await createAccount(h, supervisor.username, 'supervisor', supervisor.password);
    await createAccount(h, viewer.username, 'viewer', viewer.password);
    for (let i = 0; i < 4; i++) {
      h.clock.advance(3600);
      const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 40, hangsUpFirst: 'caller' } as const;
      await h.twilio.placeCall({ from: `+861391111000${i}`, to: HOTLINE, agents: { [A]: accepts, [B]: accepts } });
    }
    await afterCallOf(h).settled();
    h.clock.set(new Date('2026-11-09T01:00:00Z'));
    await ui.start(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Opens the first queued call, checks the player, scores the inspector's items and saves. */
  async function reviewFirst(page: Page, scores: Record<string, string>): Promise<string> {
    await page.goto(`${ui.base}/console/qc`);
    const first = page.locator('tr[data-queued]').first();
    const callId = (await first.getAttribute('data-queued'))!;
    await Promise.all([page.waitForURL(`${ui.base}/console/qc/calls/${callId}`), first.locator('a').click()]);
    const player = page.locator('audio[data-recording]');
    // With a signed link: the session cookie is scoped to /console and the player's request goes to /api.
    await expect(player.getAttribute('src')).resolves.toMatch(new RegExp(`^/api/calls/${callId}/recording\\?token=`));
    await expect(player.getAttribute('preload')).resolves.toBe('none');
    expect(await player.getAttribute('controls')).not.toBeNull();
    // The record answers four items; the inspector the other four.
    expect(await page.locator('fieldset[data-source=record]').count()).toBe(4);
    await expect(page.locator('fieldset[data-item=answered-in-time] [data-auto-score]').textContent()).resolves.toBe('10 / 10');
    for (const [item, score] of Object.entries(scores)) await page.fill(`input[name="score.${item}"]`, score);
    await page.fill('input[name="note.courtesy"]', '语气亲切');
    await Promise.all([page.waitForURL(/\/console\/qc\?reviewed=/), page.click('form.qc-form button[type=submit]')]);
    await expect(page.locator('p.notice').textContent()).resolves.toBe('已保存质检结果');
    expect(await page.locator(`tr[data-queued="${callId}"]`).count()).toBe(0);
    await expect(page.locator(`tr[data-review="${callId}"] [data-score]`).textContent()).resolves.toBeTruthy();
    return callId;
  }

  it('lists the queue and saves a review at 1280 px, with no console error', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const { problems } = watchProblems(page);
    await page.goto(`${ui.base}/console/qc`);
    expect(await page.locator('tr[data-queued]').count()).toBe(4);
    await screenshot(page, 'console-qc');
    // Side by side on a desktop: the player's box starts level with the form's.
    await page.locator('tr[data-queued] a').first().click();
    await page.waitForSelector('audio[data-recording]');
    const [p, f] = await Promise.all([page.locator('.qc-player').boundingBox(), page.locator('.qc-form').boundingBox()]);
    expect(p!.x + p!.width).toBeLessThanOrEqual(f!.x);
    await screenshot(page, 'console-qc-review');

    const callId = await reviewFirst(page, { greeting: '15', courtesy: '15', 'anything-else': '10', thanks: '5' });
    // 10 + 15 + 10 + 15 + 10 + 5 + 15 + 15 = 95 of 100.
    const [review] = (await h.api.get('/api/qc/reviews?month=2026-11')).body.reviews;
    expect(review).toMatchObject({ callId, score: 95, reviewedBy: 'account:zhou' });
    expect(review.items.find((i: { id: string }) => i.id === 'courtesy')).toMatchObject({ score: 15, note: '语气亲切', source: 'inspector' });
    // Reviewed: the page shows the result and no form.
    await page.goto(`${ui.base}/console/qc/calls/${callId}`);
    expect(await page.locator('[data-reviewed]').count()).toBe(1);
    expect(await page.locator('form.qc-form').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('works at 390 px, and names a score out of range', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    await page.setViewportSize(PHONE);
    const { problems } = watchProblems(page);
    await page.goto(`${ui.base}/console/qc`);
    expect(await fitsWidth(page)).toBe(true);
    await page.locator('tr[data-queued] a').first().click();
    await page.waitForSelector('audio[data-recording]');
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-qc-review-390');
    // Stacked on a phone: the player above the form.
    const [p, f] = await Promise.all([page.locator('.qc-player').boundingBox(), page.locator('.qc-form').boundingBox()]);
    expect(p!.y + p!.height).toBeLessThanOrEqual(f!.y);
    const before = (await h.api.get('/api/qc/reviews?month=2026-11')).body.reviews.length;
    await reviewFirst(page, { greeting: '10', courtesy: '12', 'anything-else': '0', thanks: '10' });
    expect((await h.api.get('/api/qc/reviews?month=2026-11')).body.reviews).toHaveLength(before + 1);
    expect(problems).toEqual([]);

    // The browser's own check stops 16 of 15; a forged form gets a 400 naming the item, and nothing is saved.
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const next = (await page.locator('tr[data-queued]').first().getAttribute('data-queued'))!;
    const res = await page.request.post(`${ui.base}/console/qc/calls/${next}`, { form: { _csrf: csrf!, 'score.greeting': '16', 'score.courtesy': '1', 'score.anything-else': '1', 'score.thanks': '1' } });
    expect(res.status()).toBe(400);
    expect(await res.text()).toContain("items.0.score: must be a whole number from 0 to 15 for &#39;greeting&#39;");
    expect((await h.api.get('/api/qc/reviews?month=2026-11')).body.reviews).toHaveLength(before + 1);
  });

  it('shows a viewer no QC link and refuses the page', async () => {
    const page = await signIn(ui.context, ui.base, viewer);
    expect(await page.locator('nav a[href="/console/qc"]').count()).toBe(0);
    const res = await page.goto(`${ui.base}/console/qc`);
    expect(res!.status()).toBe(403);
  });
});
