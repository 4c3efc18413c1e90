import type { Logger } from '../logger';

/** How long one REST move may take before it is given up and tried again. */
const MOVE_TIMEOUT_MS = 5_000;
/** Tries per move, the first included; between them a pause that doubles from MOVE_BACKOFF_MS. */
const MOVE_TRIES = 3;
const MOVE_BACKOFF_MS = 500;

export type MoveOutcome = 'moved' | 'retried' | 'gone' | 'failed';

export interface CallerMovesDeps {
  /** Moves a live call to a new TwiML document (Twilio's REST call update). */
  redirectCall(callSid: string, url: string): Promise<void>;
  logger: Logger;
  timeoutMs?: number;
  tries?: number;
  backoffMs?: number;
}

/** Whether Twilio said what another try could not change (it does not know the call, or refused the request as made). */
const final = (err: unknown) => {
  const status = (err as { status?: number }).status;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
};

class MoveTimeout extends Error {
  constructor(ms: number) {
    super(`the REST move took longer than ${ms} ms`);
  }
}

/**
 * Moves of waiting callers through Twilio's REST API (a call update to the hold document), made
 * off the request path: a webhook that frees an agent answers its own caller at once, whatever
 * Twilio's API is doing. Each move has a time limit and a few tries; a 404 (Twilio no longer
 * knows the call) ends at once. The outcome of each is logged and counted (/metrics), and a move
 * that fails for good is handed back (the offer withdrawn, the caller kept in line: see
 * WaitingLinePass).
 */
export class CallerMoves {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts: Record<MoveOutcome, number> = { moved: 0, retried: 0, gone: 0, failed: 0 };
  private stopping = false;

  constructor(private readonly d: CallerMovesDeps) {}

  /**
   * Starts moving the call and returns at once; the promise settles when the move is over (it
   * never rejects). `failed` runs once if it fails for good, with the last error.
   */
  send(callSid: string, url: string, failed: (err: unknown) => Promise<void>): Promise<void> {
    const move = this.move(callSid, url)
      .catch(async (err: unknown) => {
        try {
          await failed(err);
        } catch (e) {
          this.d.logger.error('a failed move of a waiting caller could not be undone', { callSid, err: e });
        }
      })
      .finally(() => this.inFlight.delete(move));
    this.inFlight.add(move);
    return move;
  }

  private async move(callSid: string, url: string): Promise<void> {
    const tries = this.d.tries ?? MOVE_TRIES;
    for (let n = 1; ; n++) {
      try {
        await this.withTimeout(this.d.redirectCall(callSid, url));
        this.count('moved');
        this.d.logger.info('moved a waiting caller', { callSid, tries: n });
        return;
      } catch (err) {
        const gone = (err as { status?: number }).status === 404;
        if (gone || final(err) || n >= tries || this.stopping) {
          this.count(gone ? 'gone' : 'failed');
          this.d.logger.warn(gone ? 'a waiting caller to move is gone' : 'could not move a waiting caller', { callSid, tries: n, err });
          throw err;
        }
        this.count('retried');
        this.d.logger.warn('moving a waiting caller failed; trying again', { callSid, tries: n, err });
        await new Promise((r) => setTimeout(r, (this.d.backoffMs ?? MOVE_BACKOFF_MS) * 2 ** (n - 1)));
      }
    }
  }

  private withTimeout(p: Promise<void>): Promise<void> {
    const ms = this.d.timeoutMs ?? MOVE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MoveTimeout(ms)), ms);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  private count(outcome: MoveOutcome): void {
    this.counts[outcome]++;
  }

  /** Moves by outcome since start (a retried move counts once per retry, then once for how it ended). */
  outcomes(): Readonly<Record<MoveOutcome, number>> {
    return this.counts;
  }

  /** Resolves when every move started so far is over. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** At shutdown: no more tries, and the moves under way are waited for. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.settled();
  }
}
