import type { Request, Response } from 'express';
import type { Logger } from '../logger';
import { snapshotKey, todayParts, type TodaySnapshot } from './today';
import type { Viewer } from './session';

interface Subscriber {
  res: Response;
  viewer: Viewer;
  /** The HTTP server it came through: once that stops listening (SIGTERM), the stream ends so shutdown is not held up. */
  server: { listening: boolean } | undefined;
}

/**
 * The Today page's live stream (server-sent events). One snapshot is taken per change, not per
 * browser: a call that connects or ends nudges it at once, and a tick catches what no listener
 * reports (a call arriving, an agent paused on another instance). Each subscriber gets the
 * snapshot rendered for its own role (masked numbers) and language.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private lastKey = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly d: { snapshot: () => Promise<TodaySnapshot>; timeZone: string; tickSeconds: number; logger: Logger },
  ) {}

  subscribe(req: Request, res: Response, viewer: Viewer): void {
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const sub: Subscriber = { res, viewer, server: (req.socket as typeof req.socket & { server?: { listening: boolean } }).server };
    this.subscribers.add(sub);
    req.on('close', () => this.subscribers.delete(sub));
    // The page was rendered a moment ago; send the current state so nothing in between is lost.
    void this.d.snapshot().then((s) => this.send(sub, s), (err: unknown) => this.d.logger.warn('console snapshot failed', { err }));
  }

  /** Something changed: refresh soon (coalesced, so a burst of calls costs one snapshot at a time). */
  nudge(): void {
    if (this.subscribers.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.refresh().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.nudge();
      }
    });
  }

  private async refresh(): Promise<void> {
    try {
      const s = await this.d.snapshot();
      const key = snapshotKey(s);
      if (key === this.lastKey) return;
      this.lastKey = key;
      for (const sub of this.subscribers) this.send(sub, s);
    } catch (err) {
      this.d.logger.warn('console snapshot failed', { err });
    }
  }

  private send(sub: Subscriber, s: TodaySnapshot): void {
    sub.res.write(`event: today\ndata: ${JSON.stringify(todayParts(s, sub.viewer, this.d.timeZone))}\n\n`);
  }

  start(): void {
    this.timer = setInterval(() => {
      for (const sub of this.subscribers) {
        if (sub.server && !sub.server.listening) {
          // The browser reconnects (retry: 3000) to an instance that is still up.
          sub.res.end();
          this.subscribers.delete(sub);
        } else {
          // A comment line keeps proxies from closing an idle stream.
          sub.res.write(': tick\n\n');
        }
      }
      this.nudge();
    }, this.d.tickSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const sub of this.subscribers) sub.res.end();
    this.subscribers.clear();
    await this.running;
  }
}
