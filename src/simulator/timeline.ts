/**
 * Virtual time for simulated calls. Each caller (and each periodic task) is a process that
 * awaits `sleep` or `waitFor` instead of real timers; when every process is blocked, the clock
 * jumps to the next due wake-up. HTTP requests to the server are real and take the time they
 * take, but no virtual time passes during them, so speech, rings and key presses cost exactly
 * the seconds the model gives them, however busy the machine is.
 */
export interface SettableClock {
  now(): Date;
  set(at: Date): void;
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** Something a waiting process can be woken by before its time is up (a REST redirect, say). */
export class Wakeup {
  private waiter: (() => void) | null = null;
  private pending = false;

  /** Wakes the process waiting on this now, or the next one that waits. */
  fire(): void {
    if (this.waiter) this.waiter();
    else this.pending = true;
  }

  /** Forgets a fire that nobody waited for (its cause was handled another way). */
  consume(): void {
    this.pending = false;
  }

  /** @internal */
  take(onFire: () => void): boolean {
    if (this.pending) {
      this.pending = false;
      return true;
    }
    this.waiter = onFire;
    return false;
  }

  /** @internal */
  clear(): void {
    this.waiter = null;
  }
}

/**
 * What the Twilio model needs of time: the virtual Timeline below (tests), or RealTimeline
 * (src/simulator/real-time.ts) for the simulator that drives a running server over HTTP.
 */
export interface SimTime {
  now(): Date;
  since(from: Date): number;
  sleep(seconds: number): Promise<void>;
  waitFor(wakeup: Wakeup | null, seconds: number): Promise<'woken' | 'timeout'>;
  spawn<T>(fn: () => Promise<T>, opts?: { daemon?: boolean }): Promise<T>;
  every(seconds: number, fn: () => Promise<unknown>): void;
  run(): Promise<void>;
}

export class Timeline implements SimTime {
  private timers: Timer[] = [];
  private seq = 0;
  /** Processes that are running (not blocked in sleep/waitFor). */
  private active = 0;
  /** Processes that keep the run going (daemons do not). */
  private live = 0;
  private quietWaiters: (() => void)[] = [];
  private failure: unknown = null;

  constructor(private readonly clock: SettableClock) {}

  now(): Date {
    return this.clock.now();
  }

  /** Seconds since `from`, on the virtual clock. */
  since(from: Date): number {
    return (this.clock.now().getTime() - from.getTime()) / 1000;
  }

  sleep(seconds: number): Promise<void> {
    return this.waitFor(null, seconds).then(() => undefined);
  }

  /** Waits up to `seconds`; resolves 'woken' as soon as `wakeup` fires, else 'timeout'. */
  waitFor(wakeup: Wakeup | null, seconds: number): Promise<'woken' | 'timeout'> {
    return new Promise((resolve) => {
      if (wakeup?.take(() => undefined)) {
        resolve('woken');
        return;
      }
      const timer: Timer = {
        at: this.clock.now().getTime() + Math.max(0, seconds) * 1000,
        seq: this.seq++,
        fire: () => {
          wakeup?.clear();
          resolve('timeout');
        },
      };
      wakeup?.take(() => {
        wakeup.clear();
        this.timers = this.timers.filter((t) => t !== timer);
        this.active++;
        resolve('woken');
      });
      this.timers.push(timer);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.block();
    });
  }

  /** Starts a process; it keeps the run going until it ends, unless it is a daemon. */
  spawn<T>(fn: () => Promise<T>, opts: { daemon?: boolean } = {}): Promise<T> {
    this.active++;
    if (!opts.daemon) this.live++;
    const run = (async () => fn())();
    return run
      .catch((err) => {
        this.failure ??= err;
        throw err;
      })
      .finally(() => {
        if (!opts.daemon) this.live--;
        this.block();
      });
  }

  /** Runs `fn` every `seconds` of virtual time, for as long as other processes are live. */
  every(seconds: number, fn: () => Promise<unknown>): void {
    void this.spawn(
      async () => {
        for (;;) {
          await this.sleep(seconds);
          await fn();
        }
      },
      { daemon: true },
    ).catch(() => undefined);
  }

  /** Moves time forward until every live process has ended; rethrows the first failure. */
  async run(): Promise<void> {
    while (this.live > 0) {
      if (this.failure) break;
      if (this.active > 0) {
        await new Promise<void>((resolve) => this.quietWaiters.push(resolve));
        continue;
      }
      // Let anything already resolved run before deciding that every process is blocked.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.active > 0 || this.live === 0) continue;
      const next = this.timers.shift();
      if (!next) throw new Error('simulation stuck: processes are waiting with nothing due');
      if (next.at > this.clock.now().getTime()) this.clock.set(new Date(next.at));
      this.active++;
      next.fire();
    }
    if (this.failure) throw this.failure;
  }

  private block(): void {
    this.active--;
    if (this.active > 0) return;
    const waiters = this.quietWaiters;
    this.quietWaiters = [];
    for (const w of waiters) w();
  }
}
