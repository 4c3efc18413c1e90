import { signLink } from '../domain/signed-link';

/** Tokens for the agent's own page open nothing else (not a call's page, not a callback's dial link). */
export const AGENT_PAGE_PURPOSE = 'agent-page';

/**
 * The agent's signed link to their phone page: `${PUBLIC_BASE_URL}/m/me/<token>`. Everything
 * that sends an agent their page (the shift digest, GET /api/agents/:id/page-link, and the
 * notifier's messages once wired) takes it from here.
 */
export function agentPageUrl(o: { secret: string; publicBaseUrl: string; ttlHours: number; now: Date }, agentId: string): { url: string; expiresAt: Date } {
  const expiresAt = new Date(o.now.getTime() + o.ttlHours * 3600_000);
  const token = signLink(o.secret, { purpose: AGENT_PAGE_PURPOSE, subject: agentId, agentId, expiresAt });
  return { url: `${o.publicBaseUrl}/m/me/${token}`, expiresAt };
}
