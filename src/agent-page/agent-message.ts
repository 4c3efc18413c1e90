import { isE164, maskPhone } from '../domain/endpoint';
import type { AgentStore } from '../domain/ports';
import type { Logger } from '../logger';
import type { PostgresAgentPageStore } from '../postgres/agent-page-store';
import type { SmsSender } from '../sms';

/**
 * How the agent page's messages (the shift digest) reach an agent: both languages, the sender
 * picks the agent's. Wired to SMS for now; the notifier (WeCom, DingTalk, SMS) takes its place.
 */
export type AgentMessageSender = (agentId: number | string, kind: string, text: { zh: string; en: string }, link?: string) => Promise<void>;

/**
 * The SMS path agents already have: in the language the agent chose on their page, the link on
 * its own line. An agent reached only through SIP has no SMS: refused, so the caller knows it
 * was not delivered (the digest loop logs it and does not try again for that shift).
 */
export function smsAgentMessage(d: { agents: AgentStore; prefs: PostgresAgentPageStore; sms: SmsSender; from: () => Promise<string | undefined>; logger: Logger }): AgentMessageSender {
  return async (agentId, kind, text, link) => {
    const agent = await d.agents.get(String(agentId));
    if (!agent) throw new Error(`no agent ${agentId}`);
    if (!isE164(agent.phone)) throw new NoSmsEndpointError(String(agentId));
    const language = await d.prefs.language(agent.id);
    const body = (language === 'en-US' ? text.en : text.zh) + (link ? `\n${link}` : '');
    await d.sms.send(agent.phone, body, { from: await d.from() });
    d.logger.info('agent message sent', { agentId: agent.id, kind, to: maskPhone(agent.phone) });
  };
}

/** The agent has no number that takes SMS (a SIP endpoint). */
export class NoSmsEndpointError extends Error {
  constructor(agentId: string) {
    super(`agent ${agentId} has no E.164 number to text`);
    this.name = 'NoSmsEndpointError';
  }
}
