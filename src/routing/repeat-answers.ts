import type { Clock } from '../domain/clock';
import type { Call, CallStore, RingAttempt } from '../domain/ports';
import { emptyTwiml, rejectTwiml, sayAndHangUp } from '../twiml/hotline-twiml';
import type { AgentOffers } from './agent-offers';
import type { CallClosing } from './call-closing';
import type { CallDocuments } from './call-documents';
import type { CallFlowEndings } from './hotline-ports';
import type { WaitingLine } from './waiting-line';

export interface RepeatAnswersDeps {
  calls: CallStore;
  clock: Clock;
  /** HotlineService's endings, the same object its setEnding() changes. */
  endings: CallFlowEndings;
  docs: CallDocuments;
  line: WaitingLine;
  offers: AgentOffers;
  closing: CallClosing;
  /** No free agent for this call right now: the caller waits in line, or the call ends missed (HotlineService). */
  waitOrMiss(call: Call, attempts: RingAttempt[], now: Date, reason: string): Promise<string>;
}

/** What makes HotlineService's webhooks safe to repeat: a repeated request hears what the first one was answered. */
export class RepeatAnswers {
  constructor(private readonly d: RepeatAnswersDeps) {}

  /** Answers a repeated request with what the first one answered, from what is on record. */
  async answer(call: Call): Promise<string> {
    const { endings, docs } = this.d;
    const speaker = docs.voice(call);
    if (call.blocked) return rejectTwiml();
    if (call.internal && call.state === 'ended' && call.outcome === null) return sayAndHangUp(speaker, speaker.text.internalOnly);
    if (call.state === 'ended') {
      if (call.outcome === 'missed') return endings.whenMissed(call);
      if (call.outcome === 'answered' && call.endedBy === 'agent') return endings.afterTalk(call);
      return emptyTwiml();
    }
    if (call.state === 'connected') return emptyTwiml();
    const now = this.d.clock.now();
    const attempts = await this.d.calls.attemptsOf(call.id);
    const open = attempts.find((a) => !a.finishedAt);
    if (open) return docs.ring(call, open, now);
    if (call.waitingSince) return docs.hold(call, await this.d.line.ahead(call.id));
    // A repeat that overtook the first request before it recorded an agent offers one itself;
    // if both do, the attempt number makes them agree on one agent.
    if (attempts.length === 0) {
      const offered = await this.d.offers.offerNext(call, [], now);
      if (offered) return docs.ring(call, offered, now);
      return sayAndHangUp(speaker, speaker.text.noAgent);
    }
    // The first request finished the last offer and died before moving the caller on (a killed
    // instance): carry on for it, or the caller would hear the apology while the call stays hunting.
    if (!docs.canRing(call, now, speaker.text.holdOn)) return this.d.closing.miss(call, 'max-wait', now);
    const next = await this.d.offers.offerNext(call, attempts, now);
    if (next) return docs.ring(call, next, now, speaker.text.holdOn);
    return this.d.waitOrMiss(call, attempts, now, 'all-agents-tried');
  }
}
