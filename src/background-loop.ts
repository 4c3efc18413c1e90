import type { Logger } from './logger';

/**
 * A piece of work that runs every few seconds in the background of one server instance (the
 * waiting line's sweep, settling calls whose end was lost). Runs never overlap; a failed run is
 * logged and the next one comes at the next interval. Tests call the work directly instead.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private wanted = false;

  constructor(
    private readonly name: string,
    private readonly intervalSeconds: number,
    private readonly work: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Runs the work every interval from now on; `runNow` also runs it at once. */
  start(runNow = false): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalSeconds * 1000);
    this.timer.unref();
    if (runNow) this.tick();
  }

  /**
   * Runs the work soon rather than at the next interval (new work is waiting); a run already
   * going is followed by another. Does nothing until started: tests call the work themselves.
   */
  wake(): void {
    if (!this.timer) return;
    if (this.running) this.wanted = true;
    else this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.work()
      .then(() => undefined)
      .catch((err) => void this.logger.error(`${this.name} failed`, { err }))
      .finally(() => {
        this.running = null;
        if (this.wanted && this.timer) {
          this.wanted = false;
          this.tick();
        }
      });
  }
}
