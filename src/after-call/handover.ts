import type { Clock } from '../domain/clock';
import type { CallStore } from '../domain/ports';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { HotlineService } from '../routing/hotline-service';
import type { TwilioClient } from '../twilio-client';
import type { CallNotesStore } from '../postgres/call-notes-store';

export interface HandoverDeps {
  calls: CallStore;
  notes: CallNotesStore;
  hotline: HotlineService;
  twilio: TwilioClient;
  clock: Clock;
  logger: Logger;
}

/**
 * The agent hands the caller to the rating from their phone (R6). Twilio's hangupOnStar only
 * hears the caller's keypad, so this goes through REST: the caller's leg is redirected to the
 * rating, which tears down the <Dial> and with it the agent's leg.
 *
 * The request is marked before the redirect: Twilio then fires the old <Dial> action (and ignores
 * its reply), possibly before the REST call returns, and whichever ends the call first records
 * it as ended by 'agent-handover'.
 */
export class Handover {
  constructor(private readonly d: HandoverDeps) {}

  async handOver(callId: string, agentId: string): Promise<'handed-over' | 'not-live'> {
    const call = await this.d.calls.getCall(callId);
    if (!call || !(await this.d.notes.requestHandover(callId, agentId, this.d.clock.now()))) return 'not-live';
    try {
      await this.d.twilio.calls(call.callSid).update({ url: this.d.hotline.webhookUrl('rating-start', { call: call.id }), method: 'POST' });
    } catch (err) {
      await this.d.notes.cancelHandover(callId);
      this.d.logger.error('hand-over redirect failed', { callSid: call.callSid, err });
      throw new AppError(502, 'twilio_failed', 'Twilio did not take the hand-over; the call goes on');
    }
    await this.d.hotline.endByHandover(callId);
    return 'handed-over';
  }
}
