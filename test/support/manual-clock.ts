import type { Clock } from '../../src/domain/clock';

/** A clock the test moves by hand: Twilio's timestamps and the server's clock agree on it. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-11-23T02:00:00Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(seconds: number): Date {
    this.t += seconds * 1000;
    return this.now();
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
}
