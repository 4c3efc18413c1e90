import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';

/**
 * A small load balancer in front of the instances, as a production one would be set up:
 * - round robin over the instances whose /readyz answered 200 at the last check (every 500 ms);
 *   when none is ready it sends to all of them (fail open, like Envoy's panic mode), since an
 *   instance that cannot reach Redis may still answer with safe TwiML;
 * - a request that could not be delivered (connection refused or reset before an answer) goes to
 *   the next instance, as nginx's `proxy_next_upstream error non_idempotent` does: every Twilio
 *   webhook is idempotent, so a second delivery is safe;
 * - an instance that refuses a connection is taken out until its /readyz answers again.
 */
export interface Upstream {
  name: string;
  port: number;
}

export interface BalancerStats {
  /** Requests each instance answered. */
  answered: Record<string, number>;
  /** Deliveries that failed on one instance and went to another. */
  redelivered: number;
  /** Requests no instance could answer (the balancer said 502). */
  undelivered: number;
}

export class Balancer {
  private server: Server | null = null;
  private readonly ready = new Map<string, boolean>();
  private next = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly stats: BalancerStats = { answered: {}, redelivered: 0, undelivered: 0 };

  constructor(private readonly upstreams: Upstream[]) {
    for (const u of upstreams) this.stats.answered[u.name] = 0;
  }

  async listen(port: number): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.deliver(req, Buffer.concat(chunks)).then(
          (answer) => {
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body);
          },
          (err: Error) => {
            this.stats.undelivered++;
            res.writeHead(502, { 'content-type': 'text/plain' });
            res.end(`balancer: no instance answered (${err.message})`);
          },
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.timer = setInterval(() => void this.checkAll(), 500);
    await this.checkAll();
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.agent.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  readyNames(): string[] {
    return this.upstreams.filter((u) => this.ready.get(u.name)).map((u) => u.name);
  }

  private async checkAll(): Promise<void> {
    await Promise.all(
      this.upstreams.map(async (u) => {
        try {
          const res = await fetch(`http://127.0.0.1:${u.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
          await res.arrayBuffer();
          this.ready.set(u.name, res.status === 200);
        } catch {
          this.ready.set(u.name, false);
        }
      }),
    );
  }

  /** The instances to try for one request, in order: the next ready one first. */
  private order(): Upstream[] {
    const ready = this.upstreams.filter((u) => this.ready.get(u.name));
    const pool = ready.length > 0 ? ready : this.upstreams;
    const first = this.next++ % pool.length;
    const rest = this.upstreams.filter((u) => u !== pool[first]);
    return [pool[first]!, ...rest];
  }

  private async deliver(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    let lastError: Error = new Error('no instance');
    const tries = this.order();
    for (const [i, u] of tries.entries()) {
      try {
        const answer = await this.forward(u, req, body);
        this.stats.answered[u.name]!++;
        if (i > 0) this.stats.redelivered++;
        return answer;
      } catch (err) {
        lastError = err as Error;
        this.ready.set(u.name, false);
      }
    }
    throw lastError;
  }

  private forward(u: Upstream, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'connection') headers[k] = v;
      const out = request({ host: '127.0.0.1', port: u.port, method: req.method, path: req.url, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const k of ['content-type', 'x-threering-error', 'location']) if (typeof res.headers[k] === 'string') h[k] = res.headers[k] as string;
          resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
        });
      });
      out.on('error', reject);
      // Twilio's own limit: an instance that does not answer in 15 s has failed this request.
      out.setTimeout(15_000, () => out.destroy(new Error('no answer in 15 s')));
      out.end(body);
    });
  }
}
