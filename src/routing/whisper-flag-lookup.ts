import type { Call } from '../domain/ports';
import { isWithheldNumber } from '../domain/withheld-number';
import { localDayStart, NO_WHISPER_FLAGS, type WhisperFlags } from '../domain/whisper-flags';
import type { Logger } from '../logger';
import { maskPhone } from '../domain/endpoint';

export interface WhisperFlagSource {
  flagsOf(from: string, callId: string, startedAt: Date, dayStart: Date): Promise<WhisperFlags>;
}

/** How long the whisper waits for the caller's record before it goes on without it. */
export const WHISPER_FLAGS_TIMEOUT_MS = 150;

/**
 * The caller's record for the whisper (an open complaint, a call missed earlier today), read as
 * the agent picks up. Never holds the whisper up or fails it: a read that errs or takes longer
 * than `timeoutMs` gives no flags, and a withheld number (shared by every hidden caller) has none.
 */
export class WhisperFlagLookup {
  constructor(
    private readonly source: WhisperFlagSource,
    private readonly timeZone: string,
    private readonly logger: Logger,
    private readonly timeoutMs = WHISPER_FLAGS_TIMEOUT_MS,
  ) {}

  async of(call: Call): Promise<WhisperFlags> {
    if (isWithheldNumber(call.from)) return NO_WHISPER_FLAGS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.timeoutMs);
    });
    const read = this.source.flagsOf(call.from, call.id, call.startedAt, localDayStart(call.startedAt, this.timeZone)).catch((err: unknown) => {
      this.logger.warn('the whisper goes on without the caller\'s record: it could not be read', { from: maskPhone(call.from), error: String(err) });
      return NO_WHISPER_FLAGS;
    });
    try {
      const out = await Promise.race([read, late]);
      if (out !== 'late') return out;
      this.logger.warn('the whisper goes on without the caller\'s record: it took too long', { from: maskPhone(call.from), timeoutMs: this.timeoutMs });
      return NO_WHISPER_FLAGS;
    } finally {
      clearTimeout(timer);
    }
  }
}
