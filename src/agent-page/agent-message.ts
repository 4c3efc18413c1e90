import { maskPhone } from '../domain/endpoint';
import type { AgentStore } from '../domain/ports';
import type { Logger } from '../logger';
import type { Notifier } from '../notify/notifier';
import type { PostgresAgentPageStore } from '../postgres/agent-page-store';

export { NoSmsEndpointError } from '../notify/notifier';

/**
 * How the agent page's messages (the shift digest) reach an agent: both languages, the sender
 * picks the agent's.
 */
export type AgentMessageSender = (agentId: number | string, kind: string, text: { zh: string; en: string }, link?: string) => Promise<void>;

/**
 * Through the notifier: by SMS in the language the agent chose on their page, the link on its own
 * line, or into their WeCom or DingTalk channel. An agent reached only through SIP with no other
 * channel is refused (NoSmsEndpointError), so the caller knows it was not delivered (the digest
 * loop logs it and does not try again for that shift).
 */
export function notifierAgentMessage(d: { agents: AgentStore; prefs: PostgresAgentPageStore; notifier: Notifier; from: () => Promise<string | undefined>; logger: Logger }): AgentMessageSender {
  return async (agentId, kind, text, link) => {
    const agent = await d.agents.get(String(agentId));
    if (!agent) throw new Error(`no agent ${agentId}`);
    const language = await d.prefs.language(agent.id);
    const sent = await d.notifier.toAgent(agent, kind, text, { link, from: await d.from(), smsLanguage: language });
    d.logger.info('agent message sent', { agentId: agent.id, kind, via: sent.via, to: maskPhone(agent.phone) });
  };
}
