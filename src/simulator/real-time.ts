import type { Clock } from '../domain/clock';
import type { SimTime, Wakeup } from './timeline';

/**
 * A clock that runs `scale` times faster than the wall clock from the moment it is made. The demo
 * hands the same clock to the server it starts and to the simulator, so that a 60-second talk
 * takes 4 s of the viewer's time at scale 15 and still lasts 60 s on record (Twilio's Timestamps
 * and the server's own times agree). `setScale(1)` lets it go on at the wall clock's pace from
 * where it is (the demo does so once the calls are played, so the console shows a calm clock).
 */
export class ScaledClock implements Clock {
  private originVirtual: number;
  private originReal: number;

  constructor(
    private scale = 1,
    start: Date = new Date(),
  ) {
    this.originVirtual = start.getTime();
    this.originReal = Date.now();
  }

  now(): Date {
    return new Date(this.originVirtual + (Date.now() - this.originReal) * this.scale);
  }

  get timeScale(): number {
    return this.scale;
  }

  setScale(scale: number): void {
    this.originVirtual = this.now().getTime();
    this.originReal = Date.now();
    this.scale = scale;
  }
}

/**
 * Time for the Twilio model against a running server: sleeps are real timers, divided by the
 * clock's scale. Unlike the virtual Timeline, a failing process does not stop the others (a
 * simulator run of many calls reports failed calls and goes on); `failures` keeps them.
 */
export class RealTimeline implements SimTime {
  private readonly live = new Set<Promise<unknown>>();
  private readonly daemons = new Set<() => void>();
  readonly failures: unknown[] = [];

  constructor(private readonly clock: ScaledClock) {}

  now(): Date {
    return this.clock.now();
  }

  since(from: Date): number {
    return (this.clock.now().getTime() - from.getTime()) / 1000;
  }

  private realMs(seconds: number): number {
    return (Math.max(0, seconds) * 1000) / this.clock.timeScale;
  }

  sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.realMs(seconds)));
  }

  waitFor(wakeup: Wakeup | null, seconds: number): Promise<'woken' | 'timeout'> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onFire = () => {
        clearTimeout(timer);
        wakeup?.clear();
        resolve('woken');
      };
      if (wakeup?.take(onFire)) {
        resolve('woken');
        return;
      }
      timer = setTimeout(() => {
        wakeup?.clear();
        resolve('timeout');
      }, this.realMs(seconds));
    });
  }

  spawn<T>(fn: () => Promise<T>, opts: { daemon?: boolean } = {}): Promise<T> {
    const run = (async () => fn())();
    const tracked = run.catch((err) => {
      this.failures.push(err);
    });
    if (!opts.daemon) {
      this.live.add(tracked);
      void tracked.finally(() => this.live.delete(tracked));
    }
    return run;
  }

  every(seconds: number, fn: () => Promise<unknown>): void {
    let stopped = false;
    const timer = setInterval(() => {
      if (!stopped) void fn().catch((err) => this.failures.push(err));
    }, this.realMs(seconds));
    this.daemons.add(() => {
      stopped = true;
      clearInterval(timer);
    });
  }

  /** Waits until every process (and the late requests they started) has ended; stops the periodic tasks. */
  async run(): Promise<void> {
    while (this.live.size > 0) await Promise.all([...this.live]);
    for (const stop of this.daemons) stop();
    this.daemons.clear();
  }
}
