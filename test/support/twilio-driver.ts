import type { Express } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { Timeline } from '../../src/simulator/timeline';
import { TwilioModel, type CallScript, type CallTranscript, type Network } from '../../src/simulator/twilio-model';
import type { ManualClock } from './manual-clock';

export { randomSid, type AgentBehaviour, type CallScript, type CallTranscript, type GatherReply } from '../../src/simulator/twilio-model';

/**
 * Twilio, as the tests see it: the shared model of Twilio's voice platform (src/simulator) in
 * virtual time on the test's clock, delivering its signed webhooks to the app in process.
 * A call's prompts, rings and key presses take the seconds they would take on a real phone.
 */
export class TwilioDriver {
  readonly timeline: Timeline;
  readonly model: TwilioModel;

  private readonly app: Express;

  /** `apps`: the server instances; with a network that says so, each request goes to any of them. */
  constructor(
    private readonly apps: Express[],
    authToken: string,
    private readonly publicBaseUrl: string,
    clock: ManualClock,
    network?: Network,
    accountSid = 'AC' + 'a1'.repeat(16),
  ) {
    this.app = apps[0]!;
    this.timeline = new Timeline(clock);
    this.model = new TwilioModel({
      authToken,
      accountSid,
      timeline: this.timeline,
      network,
      transport: async (url, params, signature) => {
        const app = this.apps[network?.instance?.(this.apps.length) ?? 0]!;
        const res = await request(app).post(this.pathOf(url)).type('form').set('X-Twilio-Signature', signature).send(params);
        return { status: res.status, text: res.text };
      },
    });
  }

  private pathOf(url: string): string {
    return url.startsWith(this.publicBaseUrl) ? url.slice(this.publicBaseUrl.length) : url;
  }

  /** POSTs form parameters to an absolute webhook URL, signed with the account's auth token (or the given signature). */
  async post(url: string, params: Record<string, string>, signature?: string) {
    const sig = signature ?? twilio.getExpectedTwilioSignature(this.model.options.authToken, url, params);
    return request(this.app).post(this.pathOf(url)).type('form').set('X-Twilio-Signature', sig).send(params);
  }

  url(path: string): string {
    return `${this.publicBaseUrl}${path}`;
  }

  /** What Twilio does on a REST redirect of a live call. */
  redirectCall(callSid: string, url: string): boolean {
    return this.model.redirectCall(callSid, url);
  }

  private get urls() {
    return { incoming: this.url('/webhooks/voice/incoming'), status: this.url('/webhooks/voice/status') };
  }

  /** Places one call and plays it to its end. */
  async placeCall(script: CallScript): Promise<CallTranscript> {
    const [t] = await this.placeCalls([script]);
    return t!;
  }

  /** Places calls that overlap, each arriving `arriveAfterSeconds` after the first, and plays them all to their end. */
  async placeCalls(scripts: (CallScript & { arriveAfterSeconds?: number })[]): Promise<CallTranscript[]> {
    const calls = scripts.map((s) => this.model.placeCall(s, this.urls, s.arriveAfterSeconds ?? 0));
    for (const c of calls) c.catch(() => undefined);
    await this.timeline.run();
    return Promise.all(calls);
  }

  /** The number's "call status changes" webhook for the caller's leg. */
  async callStatus(callSid: string, status: string, base: Record<string, string> = {}) {
    await this.model.callStatus(this.url('/webhooks/voice/status'), callSid, status, base);
  }
}
