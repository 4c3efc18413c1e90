import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokenHash } from '../../src/api/admin-auth';
import type { ConsoleFeature } from '../../src/console/console-feature';
import { PostgresApiTokenStore } from '../../src/postgres/api-token-store';
import { consoleSession as session } from '../support/console-session';
import { startHotline, type Hotline } from '../support/hotline-harness';

describe('console accounts, sessions and API tokens', () => {
  let h: Hotline;
  const consoleOf = () => h.container.features.find((f) => f.name === 'console') as ConsoleFeature;

  beforeAll(async () => {
    h = await startHotline();
    await consoleOf().accounts.create('wang', 'wang-password-1', 'admin');
    await consoleOf().accounts.create('li', 'li-password-1', 'viewer');
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a sign-in without the form\'s CSRF token, and follows only console paths after signing in', async () => {
    const res = await request(h.app).post('/console/sign-in').type('form').send({ username: 'wang', password: 'wang-password-1' });
    expect(res.status).toBe(403);
    expect(String(res.headers['set-cookie'] ?? '')).not.toContain('threering_console=');

    const form = await request(h.app).get('/console/sign-in?next=https://evil.example/');
    const cookie = form.headers['set-cookie']![0]!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const ok = await request(h.app).post('/console/sign-in').set('Cookie', cookie).type('form').send({ _csrf: csrf, username: 'wang', password: 'wang-password-1', next: '//evil.example/' });
    expect(ok.headers.location).toBe('/console/');
    // Outside production the cookie is not Secure (the tests speak plain http); it is HttpOnly always.
    const set = (ok.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('threering_console='))!;
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Lax');
    expect(set).not.toContain('Secure');
  });

  it('refuses a console change without the session\'s CSRF token, and answers a page without a session with the sign-in page', async () => {
    const s = await session(h, 'wang', 'wang-password-1');
    const agent = await h.api.addAgent('张伟', '+8613800000001');
    const forged = await request(h.app).post(`/console/agents/${agent.id}/state`).set('Cookie', s.cookie).type('form').send({ action: 'pause' });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('_csrf');
    expect((await h.api.get(`/api/agents/${agent.id}`)).body.paused).toBe(false);
    const bad = await request(h.app).post(`/console/agents/${agent.id}/state`).set('Cookie', s.cookie).type('form').send({ _csrf: s.csrf, action: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('action: must be pause, resume, deactivate or activate');

    const anonymous = await request(h.app).get('/console/calls');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Fcalls');
    expect((await request(h.app).post('/console/sign-out')).status).toBe(401);
    expect((await request(h.app).get('/console/events').set('Accept', 'text/event-stream')).status).toBe(401);
  });

  it('takes personal API tokens beside ADMIN_TOKEN, audits each change with its actor, and refuses revoked and viewer tokens', async () => {
    const s = await session(h, 'wang', 'wang-password-1');
    const created = await request(h.app).post('/console/tokens').set('Cookie', s.cookie).type('form').send({ _csrf: s.csrf, name: 'nightly export' });
    expect(created.status).toBe(201);
    const token = /data-new-token>([^<]+)</.exec(created.text)![1]!;
    // Only the hash is stored.
    const rows = await h.container.db.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
    expect(rows.map((r) => r.token_hash)).toEqual([apiTokenHash(token)]);

    const added = await request(h.app).post('/api/agents').set('Authorization', `Bearer ${token}`).send({ name: '李娜', phone: '+8613800000002' });
    expect(added.status).toBe(201);
    await h.api.patch(`/api/agents/${added.body.id}`, { paused: true });
    await expect.poll(async () => (await consoleOf().audit.recent({ actionPrefix: 'api.', limit: 10 })).map((e) => [e.actor, e.action])).toEqual([
      ['admin-token', 'api.PATCH /agents/:id'],
      ['account:wang', 'api.POST /agents'],
      ['admin-token', 'api.POST /agents'],
    ]);

    const list = await request(h.app).get('/console/tokens').set('Cookie', s.cookie);
    const id = /data-token="([^"]+)"/.exec(list.text)![1]!;
    await request(h.app).post(`/console/tokens/${id}/revoke`).set('Cookie', s.cookie).type('form').send({ _csrf: s.csrf });
    const revoked = await request(h.app).get('/api/agents').set('Authorization', `Bearer ${token}`);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toBe('the bearer token is not valid');

    // An account later made a viewer holds no working token, even one issued before.
    const viewer = (await consoleOf().accounts.create('zhao', 'zhao-password-1', 'supervisor')).id;
    const tokens = new PostgresApiTokenStore(h.container.db);
    await tokens.create(viewer, 'old', apiTokenHash('tr_old-token'), h.clock.now());
    expect((await request(h.app).get('/api/agents').set('Authorization', 'Bearer tr_old-token')).status).toBe(200);
    const admin = await session(h, 'wang', 'wang-password-1');
    await request(h.app).post(`/console/accounts/${viewer}`).set('Cookie', admin.cookie).type('form').send({ _csrf: admin.csrf, role: 'viewer', active: 'true' });
    const refused = await request(h.app).get('/api/agents').set('Authorization', 'Bearer tr_old-token');
    expect(refused.status).toBe(403);
  });

  it('keeps viewers to reading: no token, no account changes', async () => {
    const s = await session(h, 'li', 'li-password-1');
    expect((await request(h.app).post('/console/tokens').set('Cookie', s.cookie).type('form').send({ _csrf: s.csrf, name: 'x' })).status).toBe(403);
    expect((await request(h.app).get('/console/accounts').set('Cookie', s.cookie)).status).toBe(403);
    const page = await request(h.app).get('/console/agents').set('Cookie', s.cookie);
    expect(page.text).toContain('+86*******0001');
    expect(page.text).not.toContain('+8613800000001');
  });
});
