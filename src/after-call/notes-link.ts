import type { Clock } from '../domain/clock';
import { maskPhone } from '../domain/endpoint';
import type { AgentStore, Call } from '../domain/ports';
import { signLink } from '../domain/signed-link';
import type { Logger } from '../logger';
import { NoSmsEndpointError, type Notifier } from '../notify/notifier';
import type { PromptLanguage } from '../twiml/prompts';
import type { CallNotesStore } from '../postgres/call-notes-store';

/** Tokens for the agent's call page open nothing else. */
export const NOTES_LINK_PURPOSE = 'call-notes';

export interface NotesLinkDeps {
  notes: CallNotesStore;
  agents: AgentStore;
  /** The link goes through the agent's channel: SMS, or their WeCom or DingTalk channel. */
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  secret: string;
  ttlHours: number;
  publicBaseUrl: string;
  language: PromptLanguage;
}

const smsText: Record<PromptLanguage, (masked: string, url: string) => string> = {
  'zh-CN': (masked, url) => `热线来电（${masked}）已接通。填写来电类型和摘要，或把客户转到满意度评价：${url}`,
  'en-US': (masked, url) => `Hotline call (${masked}) connected. Write it up, or hand the caller to the rating: ${url}`,
};

/**
 * The answering agent's link to their call page, through their channel (SMS by default). It goes out as soon as the call is
 * connected, so the page's hand-over works while the call is live; the same link then serves
 * to write the call up afterwards. Each call's link is sent once.
 */
export class NotesLinks {
  constructor(private readonly d: NotesLinkDeps) {}

  urlFor(call: Call, agentId: string): string {
    const expiresAt = new Date(this.d.clock.now().getTime() + this.d.ttlHours * 3600 * 1000);
    const token = signLink(this.d.secret, { purpose: NOTES_LINK_PURPOSE, subject: call.id, agentId, expiresAt });
    return `${this.d.publicBaseUrl}/m/calls/${token}`;
  }

  async send(call: Call): Promise<void> {
    if (!call.answeredByAgentId || call.outcome === 'missed' || call.outcome === 'abandoned') return;
    const agent = await this.d.agents.get(call.answeredByAgentId);
    if (!agent) return;
    if (!(await this.d.notes.claimNotesLink(call.id, this.d.clock.now()))) return;
    const url = this.urlFor(call, agent.id);
    const text = { zh: smsText['zh-CN'](maskPhone(call.from), url), en: smsText['en-US'](maskPhone(call.from), url) };
    try {
      await this.d.notifier.toAgent(agent, 'notes-link', text, { from: call.to, smsLanguage: this.d.language });
    } catch (err) {
      await this.d.notes.releaseNotesLink(call.id);
      if (err instanceof NoSmsEndpointError) {
        // A SIP endpoint has no SMS; the call still shows up in the unfinished-notes list.
        this.d.logger.warn('agent has no number to text the notes link to', { callSid: call.callSid, agentId: agent.id });
        return;
      }
      throw err;
    }
  }
}
