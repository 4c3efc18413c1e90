import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleFeature } from '../../src/console/console-feature';
import { consoleSession } from '../support/console-session';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
// 10:00 on a Monday in Shanghai.
const START = '2026-11-23T02:00:00Z';

/** The Today page's event stream as a browser holds it open: what arrived, and whether the server ended it. */
function openStream(base: string, cookie: string) {
  let text = '';
  let ended = false;
  const req = httpRequest(`${base}/console/events`, { headers: { Cookie: cookie, Accept: 'text/event-stream' } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  req.end();
  return { text: () => text, ended: () => ended, close: () => req.destroy() };
}

describe("the console's live stream ends with the session or the role it was opened with", () => {
  let h: Hotline;
  let server: Server;
  let base: string;
  let admin: { cookie: string; csrf: string };
  let n = 0;
  const consoleOf = () => h.container.features.find((f) => f.name === 'console') as ConsoleFeature;

  beforeAll(async () => {
    h = await startHotline({ CONSOLE_LIVE_SECONDS: '1' }, START);
    consoleOf().start?.();
    await h.api.addAgent('张伟', A);
    await consoleOf().accounts.create('wang', 'wang-password-1', 'admin');
    admin = await consoleSession(h, 'wang', 'wang-password-1');
    server = await new Promise<Server>((resolve) => {
      const s = h.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await consoleOf().stop?.();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  /** A supervisor (who sees full numbers) with Today open and its first push received. */
  async function supervisorWatching() {
    const username = `zhao${++n}`;
    const account = await consoleOf().accounts.create(username, 'zhao-password-1', 'supervisor');
    const s = await consoleSession(h, username, 'zhao-password-1');
    const stream = openStream(base, s.cookie);
    await expect.poll(() => stream.text(), { timeout: 15_000 }).toContain('event: today');
    return { account, session: s, stream };
  }

  /** A call the Today page lists with its caller's number. */
  const call = (from: string) => h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 3, talkSeconds: 30 } } });

  /** After `change`, a new call happens; the stream must end and carry nothing of the caller's number. */
  async function expectClosedAfter(stream: ReturnType<typeof openStream>, change: () => Promise<unknown>, caller: string) {
    const before = stream.text().length;
    await change();
    await call(caller);
    // Either the stream ends, or (the defect) it pushes the call to a session that is over.
    const pushedTheCall = () => stream.text().slice(before).includes(caller.slice(-4));
    await expect.poll(() => stream.ended() || pushedTheCall(), { timeout: 15_000 }).toBe(true);
    const after = stream.text().slice(before);
    expect(after).not.toContain(caller.slice(1));
    expect(after).toContain('event: ended');
    expect(stream.ended()).toBe(true);
  }

  it('ends at sign-out', async () => {
    const { session, stream } = await supervisorWatching();
    await expectClosedAfter(stream, async () => expect((await request(h.app).post('/console/sign-out').set('Cookie', session.cookie).type('form').send({ _csrf: session.csrf })).status).toBe(303), '+8613911110001');
  });

  it('ends when an admin deactivates the account', async () => {
    const { account, stream } = await supervisorWatching();
    const change = () => request(h.app).post(`/console/accounts/${account.id}`).set('Cookie', admin.cookie).type('form').send({ _csrf: admin.csrf, role: 'supervisor', active: 'false' });
    await expectClosedAfter(stream, async () => expect((await change()).status).toBe(303), '+8613911110002');
  });

  it('ends when the role changes, and a stream opened again is rendered for the new role: a demoted viewer sees masked numbers', async () => {
    const { account, session, stream } = await supervisorWatching();
    const change = () => request(h.app).post(`/console/accounts/${account.id}`).set('Cookie', admin.cookie).type('form').send({ _csrf: admin.csrf, role: 'viewer', active: 'true' });
    const caller = '+8613911110003';
    await expectClosedAfter(stream, async () => expect((await change()).status).toBe(303), caller);
    // The page reloads and opens the stream again (same session, now a viewer's).
    const again = openStream(base, session.cookie);
    await expect.poll(() => again.text(), { timeout: 15_000 }).toContain('event: today');
    expect(again.text()).toContain(`+86*******${caller.slice(-4)}`);
    expect(again.text()).not.toContain(caller.slice(1));
    again.close();
  });
});
