import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import type { AccountService } from '../../src/console/account-service';
import type { ConsoleFeature } from '../../src/console/console-feature';
import type { Role } from '../../src/domain/console-roles';
import type { Hotline } from '../support/hotline-harness';

/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), headless; one per
 * test file, a new context (no cookies) per test. playwright-core itself gives each launch a
 * fresh --user-data-dir in the temp folder (it refuses one passed in args) and removes it on close.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** The hotline's app on a loopback port, as a browser reaches it (plain http: cookies are not Secure outside production). */
export async function listen(h: Hotline): Promise<{ base: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = h.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The browser side of a console test file, called once in its describe: Chromium and the hotline
 * served over HTTP once `start(h)` runs (at the end of the describe's beforeAll), a fresh context
 * per test (1280 px, zh-CN, 10 s timeouts, no cookies), and all of it closed after the tests.
 */
export function consoleBrowser(): { start(h: Hotline): Promise<void>; readonly base: string; readonly browser: Browser; readonly context: BrowserContext } {
  let web: Awaited<ReturnType<typeof listen>> | undefined;
  let chrome: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let context: BrowserContext | undefined;
  beforeEach(async () => {
    context = await chrome!.browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
    context.setDefaultTimeout(10_000);
  });
  afterEach(async () => {
    await context?.close();
  });
  afterAll(async () => {
    await chrome?.close();
    await web?.close();
  });
  return {
    async start(h: Hotline) {
      web = await listen(h);
      chrome = await launchChromium();
    },
    get base() {
      return web!.base;
    },
    get browser() {
      return chrome!.browser;
    },
    get context() {
      return context!;
    },
  };
}

export const consoleOf = (h: Hotline) => h.container.features.find((f) => f.name === 'console') as ConsoleFeature;

export async function createAccount(h: Hotline, username: string, role: Role, password = `${username}-password-1`): Promise<{ username: string; password: string }> {
  const accounts: AccountService = consoleOf(h).accounts;
  await accounts.create(username, password, role);
  return { username, password };
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export async function signIn(context: BrowserContext, base: string, who: { username: string; password: string }): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/console/`);
  await page.fill('input[name=username]', who.username);
  await page.fill('input[name=password]', who.password);
  await Promise.all([page.waitForURL(`${base}/console/`), page.click('button[type=submit]')]);
  return page;
}

/**
 * Screenshots for docs/: written when CONSOLE_SCREENSHOTS names a folder (how docs/ was made:
 * CONSOLE_SCREENSHOTS=docs npx vitest run test/browser), else taken and thrown away, so a test
 * run leaves the work tree alone while the pages are still rendered whole.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SCREENSHOTS;
  await page.screenshot({ fullPage: true, ...(dir ? { path: path.join(dir, `${name}.png`) } : {}) });
}

/** The page is no wider than the window: nothing to scroll sideways but the tables that scroll inside their box. */
export async function fitsWidth(page: Page): Promise<boolean> {
  // A string, not a function: the tests compile without the DOM's types.
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1');
}

/**
 * A request cut by a navigation away (a form's redirect, the next goto): the live stream, or a
 * favicon still loading. Not a failure of the page; any other failure, and any error answer, counts.
 */
export function cutByNavigation(r: Request): boolean {
  return r.url().endsWith('/console/events') || (r.failure()?.errorText === 'net::ERR_ABORTED' && /favicon\.(ico|svg)$/.test(r.url()));
}

/**
 * What a page must not do: log a console error, throw, or have a request fail or answer 4xx/5xx
 * (a missing favicon counts). Attach before the first navigation; read `problems` at the end.
 */
export function watchProblems(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!cutByNavigation(r)) problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  return { problems };
}

/**
 * Every button, field, select and link of the page's content that lies outside the window's
 * width (off-screen inside a table that scrolls sideways, say), as "tag text" for the message.
 * Closed <details> are opened first, so what they hold is checked too.
 */
export async function actionsOutsideWidth(page: Page): Promise<string[]> {
  // A string, not a function: the tests compile without the DOM's types.
  return page.evaluate<string[]>(`(() => {
    document.querySelectorAll('main details').forEach((d) => { d.open = true; });
    const out = [];
    document.querySelectorAll('main button, main select, main input:not([type=hidden]), main textarea, main a[href]').forEach((el) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return;
      if (r.left < -1 || r.right > window.innerWidth + 1) out.push(el.tagName.toLowerCase() + ' ' + (el.textContent || el.getAttribute('name') || '').trim().slice(0, 30) + ' [' + Math.round(r.left) + '..' + Math.round(r.right) + ']');
    });
    return out;
  })()`);
}

/**
 * At 390 px: the page is no wider than the window and every action of its content lies inside it;
 * saved as `<name>-390.png` in docs/, then the window is set back to 1280 px.
 */
export async function fitsPhone(page: Page, name: string): Promise<void> {
  await page.setViewportSize(PHONE);
  expect(await fitsWidth(page), name).toBe(true);
  expect(await actionsOutsideWidth(page), name).toEqual([]);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize(DESKTOP);
}

/**
 * At 1280 px and then at 390 px: the page is no wider than the window and every action of its
 * content lies inside it (the phone's screenshot saved as `<name>-390.png` as by fitsPhone).
 */
export async function fitsBothWidths(page: Page, name: string): Promise<void> {
  await page.setViewportSize(DESKTOP);
  expect(await fitsWidth(page), `${name} at 1280`).toBe(true);
  expect(await actionsOutsideWidth(page), `${name} at 1280`).toEqual([]);
  await fitsPhone(page, name);
}
