import { speaker, type Speaker } from '../twiml/hotline-twiml';
import type { PromptLanguage } from '../twiml/prompts';

/** What a hotline record says about how its callers are spoken to (src/postgres/roster-store.ts). */
export interface HotlineVoiceRecord {
  number: string;
  language: PromptLanguage | null;
  greeting: string | null;
}

/**
 * The voice of each hotline number: its own language's prompts and its own greeting, else the
 * server's (PROMPT_LANGUAGE, PROMPT_VOICE). Held in memory, so that answering a call reads
 * nothing more: reloaded after a hotline is changed here and every minute (the roster's loop)
 * for changes made by other instances. Before the first load every number has the server's voice.
 */
export class HotlineVoices {
  private byNumber = new Map<string, Speaker>();
  private signature = '';

  constructor(
    /** The server's voice (PROMPT_LANGUAGE, and PROMPT_VOICE, which is kept to that language). */
    readonly base: Speaker,
    private readonly read: () => Promise<readonly HotlineVoiceRecord[]>,
    /** Whether calls are recorded (RECORDING): another language's prompts carry the notice as the server's do. */
    private readonly o: { recording?: boolean } = {},
  ) {}

  forNumber(number: string): Speaker {
    return this.byNumber.get(number) ?? this.base;
  }

  async reload(): Promise<void> {
    const records = await this.read();
    const signature = JSON.stringify(records.map((r) => [r.number, r.language, r.greeting]));
    if (signature === this.signature) return;
    const next = new Map<string, Speaker>();
    for (const r of records) {
      if (r.language === null && r.greeting === null) continue;
      const language = r.language ?? this.base.language;
      const voice = language === this.base.language ? this.base : speaker(language, undefined, { recording: this.o.recording });
      next.set(r.number, r.greeting === null ? voice : { ...voice, text: { ...voice.text, greeting: r.greeting } });
    }
    this.byNumber = next;
    this.signature = signature;
  }
}
