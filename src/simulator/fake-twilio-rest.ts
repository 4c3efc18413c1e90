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
  /** Recordings' media by SID (a test puts its own audio here); a GET honours Range, a DELETE removes it. */
  readonly media = new Map<string, { body: Buffer; contentType: string }>();
  /** Every media request: which SID, with which Range header. */
  readonly mediaRequests: { sid: string; range: string | undefined }[] = [];
  readonly recordingsDeleted: string[] = [];
  private server: Server | null = null;
  model: TwilioModel | null = null;

  /**
   * `anyRecording`: the media served for a recording SID the test did not set (the demo's calls,
   * whose SIDs the model makes up), until it is deleted.
   */
  constructor(private readonly o: { accountSid: string; authToken: string; anyRecording?: { body: Buffer; contentType: string } }) {}

  private mediaOf(sid: string): { body: Buffer; contentType: string } | undefined {
    return this.media.get(sid) ?? (this.recordingsDeleted.includes(sid) ? undefined : this.o.anyRecording);
  }

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body, raw }) => {
          if (raw) {
            res.writeHead(status, raw.headers);
            res.end(raw.bytes);
            return;
          }
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

  /** A recording's media: the whole file (200) or one byte range (206 with Content-Range), as Twilio's media endpoint answers. */
  private recordingMedia(sid: string, rangeHeader: string | undefined): Answer {
    this.mediaRequests.push({ sid, range: rangeHeader });
    const m = this.mediaOf(sid);
    if (!m) return notFound();
    const total = m.body.length;
    const range = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader ?? '');
    if (!range || (range[1] === '' && range[2] === '')) {
      return { status: 200, body: null, raw: { bytes: m.body, headers: { 'content-type': m.contentType, 'content-length': String(total), 'accept-ranges': 'bytes' } } };
    }
    let start = range[1] === '' ? total - Number(range[2]) : Number(range[1]);
    let end = range[1] === '' || range[2] === '' ? total - 1 : Math.min(Number(range[2]), total - 1);
    if (start < 0) start = 0;
    if (start >= total || end < start) return { status: 416, body: null, raw: { bytes: Buffer.alloc(0), headers: { 'content-range': `bytes */${total}` } } };
    end = Math.min(end, total - 1);
    const bytes = m.body.subarray(start, end + 1);
    return { status: 206, body: null, raw: { bytes, headers: { 'content-type': m.contentType, 'content-length': String(bytes.length), 'content-range': `bytes ${start}-${end}/${total}`, 'accept-ranges': 'bytes' } } };
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
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
    const recording = /^\/2010-04-01\/Accounts\/[^/]+\/Recordings\/(RE[0-9a-f]{32})\.(mp3|wav|json)$/.exec(path);
    if (recording && path.startsWith(account)) {
      const sid = recording[1]!;
      if (req.method === 'GET' && recording[2] !== 'json') return this.recordingMedia(sid, req.headers.range);
      if (req.method === 'DELETE' && recording[2] === 'json') {
        if (!this.mediaOf(sid)) return notFound();
        this.media.delete(sid);
        this.recordingsDeleted.push(sid);
        return { status: 204, body: null, raw: { bytes: Buffer.alloc(0), headers: {} } };
      }
      return notFound();
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

interface Answer {
  status: number;
  body: unknown;
  /** Bytes sent as they are (media), instead of the JSON body. */
  raw?: { bytes: Buffer; headers: Record<string, string> };
}

const notFound = (): Answer => ({ status: 404, body: { code: 20404, message: 'The requested resource was not found', status: 404 } });
