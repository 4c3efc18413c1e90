import type { Request, Response } from 'express';
import type { Logger } from '../logger';
import type { Account } from '../postgres/account-store';
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
 *
 * Every session is checked again, in one query, on each tick and right before each push: a stream
 * whose session has ended (signed out, expired, the account deactivated, on whichever instance)
 * or whose account's role has changed is closed, after an `ended` event that makes the page
 * reload (to the sign-in page, or rendered again for the new role). So nothing is pushed past
 * the moment an instance learns of the change, and the stream's rendering never outlives the
 * role it was opened with: a demoted viewer is never sent a full number.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private lastKey = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly d: {
      snapshot: () => Promise<TodaySnapshot>;
      /** The live sessions among these hashes, with their accounts as they are now. */
      sessions: (idHashes: string[]) => Promise<Map<string, Account>>;
      timeZone: string;
      tickSeconds: number;
      logger: Logger;
    },
  ) {}

  subscribe(req: Request, res: Response, viewer: Viewer): void {
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const sub: Subscriber = { res, viewer, server: (req.socket as typeof req.socket & { server?: { listening: boolean } }).server };
    this.subscribers.add(sub);
    req.on('close', () => this.subscribers.delete(sub));
    // The page was rendered a moment ago; send the current state so nothing in between is lost.
    void this.d
      .snapshot()
      .then(async (s) => {
        if ((await this.recheck([sub])).has(sub)) this.send(sub, s);
      })
      .catch((err: unknown) => this.d.logger.warn('console snapshot failed', { err }));
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
      // Checked on every tick, changed or not, so a stream is closed within a tick of its session ending.
      const live = await this.recheck([...this.subscribers]);
      const key = snapshotKey(s);
      if (key === this.lastKey) return;
      this.lastKey = key;
      for (const sub of live) this.send(sub, s);
    } catch (err) {
      this.d.logger.warn('console snapshot failed', { err });
    }
  }

  /** Closes the streams whose session is over or whose role has changed; answers those still fit to be sent to. */
  private async recheck(subs: Subscriber[]): Promise<Set<Subscriber>> {
    if (subs.length === 0) return new Set();
    const sessions = await this.d.sessions(subs.map((sub) => sub.viewer.sessionHash));
    const live = new Set<Subscriber>();
    for (const sub of subs) {
      const account = sessions.get(sub.viewer.sessionHash);
      if (!this.subscribers.has(sub)) continue;
      if (account && account.role === sub.viewer.account.role) live.add(sub);
      else this.end(sub, account ? 'role-changed' : 'signed-out');
    }
    return live;
  }

  private end(sub: Subscriber, reason: 'signed-out' | 'role-changed'): void {
    this.subscribers.delete(sub);
    sub.res.write(`event: ended\ndata: ${JSON.stringify({ reason })}\n\n`);
    sub.res.end();
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
