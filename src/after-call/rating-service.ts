import type { Clock } from '../domain/clock';
import type { Call, CallStore } from '../domain/ports';
import { surveyStep } from '../domain/rating';
import { BadRequestError, NotFoundError } from '../errors';
import { newResponse, sayAndHangUp, type Speaker } from '../twiml/hotline-twiml';
import type { RatingStore } from '../postgres/rating-store';

export interface RatingDeps {
  ratings: RatingStore;
  calls: CallStore;
  speaker: Speaker;
  /** Each hotline number's language (src/routing/hotline-voices.ts); absent: `speaker` for all. */
  voices?: { forNumber(number: string): Speaker };
  clock: Clock;
  timeoutSeconds: number;
  webhookUrl(name: string, query: Record<string, string>): string;
}

/**
 * The post-call rating (R6): what the caller hears once the agent's leg has ended, whether the
 * agent hung up first or handed the caller over. See src/domain/rating.ts for the survey's states.
 */
export class RatingService {
  constructor(private readonly d: RatingDeps) {}

  private voice(call: Call): Speaker {
    return this.d.voices?.forNumber(call.to) ?? this.d.speaker;
  }

  /** Thanks the caller and asks for a key 1..5, opening the survey against the answering agent. */
  async offer(call: Call): Promise<string> {
    const voice = this.voice(call);
    if (!call.answeredByAgentId) return sayAndHangUp(voice, voice.text.ratingGoodbye);
    await this.d.ratings.offer(call.id, call.answeredByAgentId, this.d.clock.now());
    return this.ask(voice, call.id, 1, voice.text.ratingRequest);
  }

  /** The caller's leg was redirected here by the agent's hand-over (REST), so the survey starts here. */
  async offerAfterHandover(callId: string, callSid: string): Promise<string> {
    return this.offer(await this.load(callId, callSid));
  }

  /** One key (or none) from the caller: a score, one more chance, or goodbye without a rating. */
  async answer(callId: string, callSid: string, tryNo: number, digits: string | undefined): Promise<string> {
    const call = await this.load(callId, callSid);
    const step = surveyStep(tryNo, digits);
    const at = this.d.clock.now();
    const voice = this.voice(call);
    switch (step.kind) {
      case 'rated':
        await this.d.ratings.settle(call.id, { status: 'rated', score: step.score, at });
        return sayAndHangUp(voice, voice.text.ratingThanks);
      case 'retry':
        return this.ask(voice, call.id, step.nextTry, voice.text.ratingRetry);
      case 'give-up':
        await this.d.ratings.settle(call.id, { status: step.reason, score: null, at });
        return sayAndHangUp(voice, voice.text.ratingGoodbye);
    }
  }

  private ask(voice: Speaker, callId: string, tryNo: number, text: string): string {
    const res = newResponse();
    const gather = res.gather({
      input: ['dtmf'],
      numDigits: 1,
      timeout: this.d.timeoutSeconds,
      action: this.d.webhookUrl('rating', { call: callId, try: String(tryNo) }),
      method: 'POST',
      // Silence must come back to us too, so it can count as a try.
      actionOnEmptyResult: true,
    });
    voice.say(gather, text);
    return res.toString();
  }

  private async load(callId: string, callSid: string): Promise<Call> {
    const call = await this.d.calls.getCall(callId);
    if (!call) throw new NotFoundError(`no call ${callId}`);
    if (call.callSid !== callSid) throw new BadRequestError('CallSid: not the call this rating belongs to', 'CallSid');
    return call;
  }
}
