import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomSid, type TwilioModel } from './twilio-model';

export interface RecordedSms {
  to: string;
  from: string;
  body: string;
}

/**
 * The part of Twilio's REST API the server calls (point its TWILIO_API_BASE_URL here): texts are
 * recorded, not sent; a call update (`Url`) redirects the live call in the model, as Twilio would,
 * and answers 404 for a call that is over; a call lookup says whether the model still has it live;
 * outbound calls (callbacks) are accepted and recorded but not played. Requests must carry the
 * account's credentials, as Twilio's do. It listens on 127.0.0.1 only.
 */
export class FakeTwilioRest {
  readonly sms: RecordedSms[] = [];
  readonly redirects: { callSid: string; url: string }[] = [];
  readonly callsCreated: Record<string, string>[] = [];
  private server: Server | null = null;
  model: TwilioModel | null = null;

  constructor(private readonly o: { accountSid: string; authToken: string }) {}

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 20500, message: 'simulator error', status: 500 }));
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const expected = 'Basic ' + Buffer.from(`${this.o.accountSid}:${this.o.authToken}`).toString('base64');
    if (req.headers.authorization !== expected) return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = (req.url ?? '').split('?')[0]!;
    const account = `/2010-04-01/Accounts/${this.o.accountSid}`;
    if (req.method === 'POST' && path === `${account}/Messages.json`) {
      this.sms.push({ to: params.To ?? '', from: params.From ?? params.MessagingServiceSid ?? '', body: params.Body ?? '' });
      return { status: 201, body: { sid: randomSid('SM'), status: 'queued', to: params.To, from: params.From, body: params.Body } };
    }
    if (req.method === 'POST' && path === `${account}/Calls.json`) {
      this.callsCreated.push(params);
      return { status: 201, body: { sid: randomSid('CA'), status: 'queued', to: params.To, from: params.From } };
    }
    const call = /^\/2010-04-01\/Accounts\/[^/]+\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(path);
    if (call && path.startsWith(account)) {
      const sid = call[1]!;
      const live = this.model?.isLive(sid) ?? false;
      if (req.method === 'GET') return live ? { status: 200, body: { sid, status: 'in-progress' } } : notFound();
      if (params.Url) {
        this.redirects.push({ callSid: sid, url: params.Url });
        return this.model?.redirectCall(sid, params.Url) ? { status: 200, body: { sid, status: 'in-progress' } } : notFound();
      }
      return live ? { status: 200, body: { sid, status: params.Status ?? 'in-progress' } } : notFound();
    }
    return notFound();
  }
}

const notFound = () => ({ status: 404, body: { code: 20404, message: 'The requested resource was not found', status: 404 } });
