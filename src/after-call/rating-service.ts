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

  /** Thanks the caller and asks for a key 1..5, opening the survey against the answering agent. */
  async offer(call: Call): Promise<string> {
    if (!call.answeredByAgentId) return sayAndHangUp(this.d.speaker, this.d.speaker.text.ratingGoodbye);
    await this.d.ratings.offer(call.id, call.answeredByAgentId, this.d.clock.now());
    return this.ask(call.id, 1, this.d.speaker.text.ratingRequest);
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
    switch (step.kind) {
      case 'rated':
        await this.d.ratings.settle(call.id, { status: 'rated', score: step.score, at });
        return sayAndHangUp(this.d.speaker, this.d.speaker.text.ratingThanks);
      case 'retry':
        return this.ask(call.id, step.nextTry, this.d.speaker.text.ratingRetry);
      case 'give-up':
        await this.d.ratings.settle(call.id, { status: step.reason, score: null, at });
        return sayAndHangUp(this.d.speaker, this.d.speaker.text.ratingGoodbye);
    }
  }

  private ask(callId: string, tryNo: number, text: string): string {
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
    this.d.speaker.say(gather, text);
    return res.toString();
  }

  private async load(callId: string, callSid: string): Promise<Call> {
    const call = await this.d.calls.getCall(callId);
    if (!call) throw new NotFoundError(`no call ${callId}`);
    if (call.callSid !== callSid) throw new BadRequestError('CallSid: not the call this rating belongs to', 'CallSid');
    return call;
  }
}
