import request from 'supertest';
import { expect } from 'vitest';
import type { Hotline } from './hotline-harness';

/** A console session as a browser holds it: the session cookie and the CSRF token of its forms. */
export async function consoleSession(h: Hotline, username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const form = await request(h.app).get('/console/sign-in');
  const signInCookie = form.headers['set-cookie']![0]!.split(';')[0]!;
  const formCsrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
  const res = await request(h.app).post('/console/sign-in').set('Cookie', signInCookie).type('form').send({ _csrf: formCsrf, username, password });
  expect(res.status).toBe(303);
  const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('threering_console='))!.split(';')[0]!;
  const page = await request(h.app).get('/console/tokens').set('Cookie', cookie);
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]! };
}
