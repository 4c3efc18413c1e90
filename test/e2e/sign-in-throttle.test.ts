import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleFeature } from '../../src/console/console-feature';
import { startHotline, type Hotline } from '../support/hotline-harness';

const consoleOf = (h: Hotline) => h.container.features.find((f) => f.name === 'console') as ConsoleFeature;

/** One sign-in as a browser sends it (the form's CSRF cookie and token), with an optional X-Forwarded-For. */
async function attempt(h: Hotline, username: string, password: string, forwardedFor?: string) {
  const withHeader = (r: request.Test) => (forwardedFor === undefined ? r : r.set('X-Forwarded-For', forwardedFor));
  const form = await withHeader(request(h.app).get('/console/sign-in'));
  const cookie = form.headers['set-cookie']![0]!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
  const res = await withHeader(request(h.app).post('/console/sign-in').set('Cookie', cookie).type('form').send({ _csrf: csrf, username, password }));
  return { status: res.status, retryAfter: res.headers['retry-after'] === undefined ? undefined : Number(res.headers['retry-after']) };
}

describe('TRUST_PROXY: whose address the sign-in throttle counts', () => {
  let h: Hotline;
  afterEach(async () => {
    await h.close();
  });

  it('ignores X-Forwarded-For by default: forged addresses do not escape the per-address throttle', async () => {
    h = await startHotline();
    // Each guess names another account and claims another address; all come from one socket.
    for (let i = 0; i < 5; i++) expect((await attempt(h, `guess${i}`, 'wrong-password-1', `198.51.100.${i + 1}`)).status).toBe(401);
    const refused = await attempt(h, 'guess9', 'wrong-password-1', '198.51.100.99');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThan(0);
  });

  it('with a hop count, takes the address the trusted proxy saw, not what the client wrote before it', async () => {
    h = await startHotline({ TRUST_PROXY: '1' });
    // The proxy appends the address it saw; the client controls only what comes before it.
    for (let i = 0; i < 5; i++) expect((await attempt(h, `guess${i}`, 'wrong-password-1', `10.9.9.${i}, 203.0.113.7`)).status).toBe(401);
    expect((await attempt(h, 'guess9', 'wrong-password-1', '10.9.9.99, 203.0.113.7')).status).toBe(429);
    // Another client behind the same proxy is not held back by that one.
    expect((await attempt(h, 'guess9', 'wrong-password-1', '203.0.113.8')).status).toBe(401);
  });
});

describe('sign-in throttling: guessing slows down, the right person still gets in', () => {
  let h: Hotline;
  const ATTACKER = '203.0.113.66';
  beforeAll(async () => {
    // The proxy in front is on loopback, as supertest is.
    h = await startHotline({ TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    await h.close();
  });
  let n = 0;
  let wang: { username: string; password: string };
  beforeEach(async () => {
    // A fresh account per test, and a clock moved past the previous test's failures' backoff and memory.
    h.clock.advance(2 * 24 * 3600);
    wang = { username: `wang${++n}`, password: 'wang-password-1' };
    await consoleOf(h).accounts.create(wang.username, wang.password, 'admin');
  });

  it('signs in the right password from another address while the account is being guessed at', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt(h, wang.username, 'not-it-at-all', ATTACKER)).status).toBe(401);
    // The guesser waits; even the right password is not checked from their address inside the window.
    const held = await attempt(h, wang.username, wang.password, ATTACKER);
    expect(held.status).toBe(429);
    expect(held.retryAfter).toBeGreaterThan(0);
    // Wang, at his own desk, gets in.
    expect((await attempt(h, wang.username, wang.password, '198.51.100.20')).status).toBe(303);
  });

  it('backs off exponentially: each failure past the fifth doubles the wait, and a try inside the wait is refused without counting', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt(h, wang.username, 'not-it-at-all', ATTACKER)).status).toBe(401);
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      const refused = await attempt(h, wang.username, 'not-it-at-all', ATTACKER);
      expect(refused.status).toBe(429);
      // Refused again at once: a try inside the window is not a failure and does not lengthen it.
      expect((await attempt(h, wang.username, 'not-it-at-all', ATTACKER)).retryAfter).toBe(refused.retryAfter);
      waits.push(refused.retryAfter!);
      h.clock.advance(refused.retryAfter!);
      expect((await attempt(h, wang.username, 'not-it-at-all', ATTACKER)).status).toBe(401);
    }
    expect(waits).toEqual([1, 2, 4, 8]);
    // Past the wait, the right password is checked and accepted, even from there.
    h.clock.advance(16);
    expect((await attempt(h, wang.username, wang.password, ATTACKER)).status).toBe(303);
  });

  it('holds guessers spread over many addresses to the account\'s backoff, but not an address that has not failed on it', async () => {
    // Five addresses, one guess each: none of them is throttled for itself, the account is now under attack.
    for (let i = 0; i < 5; i++) expect((await attempt(h, wang.username, 'not-it-at-all', `203.0.113.${i + 1}`)).status).toBe(401);
    // An address gets a few guesses at an account under attack before it waits for the account's backoff.
    const spread = '203.0.113.1';
    expect((await attempt(h, wang.username, 'not-it-at-all', spread)).status).toBe(401);
    expect((await attempt(h, wang.username, 'not-it-at-all', spread)).status).toBe(401);
    const held = await attempt(h, wang.username, 'not-it-at-all', spread);
    expect(held.status).toBe(429);
    expect(held.retryAfter).toBeGreaterThan(0);
    // The right person, from an address that has not been guessing, is let in.
    expect((await attempt(h, wang.username, wang.password, '198.51.100.20')).status).toBe(303);
  });

  it('counts a burst of parallel guesses: no more than five of them have their password checked', async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, () => attempt(h, wang.username, 'not-it-at-all', ATTACKER)));
    const checked = burst.filter((r) => r.status === 401).length;
    expect(checked).toBeLessThanOrEqual(5);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(12 - checked);
  });

  it('counts every forwarded value that is not an address as one address: garbage mints no fresh ones, and a long one is no error', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt(h, wang.username, 'not-it-at-all', randomBytes(6000).toString('base64'))).status).toBe(401);
    expect((await attempt(h, `${wang.username}-other`, 'not-it-at-all', 'not-an-address')).status).toBe(429);
  });

  it('keeps the throttle in the database: another instance sees the same failures', async () => {
    await h.close();
    h = await startHotline({ TRUST_PROXY: 'loopback' }, undefined, { instances: 2 });
    await consoleOf(h).accounts.create(wang.username, wang.password, 'admin');
    const [one, two] = h.instances;
    const on = (app: Hotline['app']) => ({ ...h, app }) as Hotline;
    for (let i = 0; i < 5; i++) expect((await attempt(on(i % 2 ? two!.app : one!.app), wang.username, 'not-it-at-all', ATTACKER)).status).toBe(401);
    expect((await attempt(on(two!.app), wang.username, 'not-it-at-all', ATTACKER)).status).toBe(429);
    expect((await attempt(on(one!.app), wang.username, 'not-it-at-all', ATTACKER)).status).toBe(429);
  });
});
