import { REPORTS_TO_BLOCK, ruleIsLive, screenCaller } from '../domain/caller-screening';
import type { Clock } from '../domain/clock';
import type { AgentStore } from '../domain/ports';
import { isWithheldNumber } from '../domain/withheld-number';
import type { Logger } from '../logger';
import { maskPhone } from '../domain/endpoint';
import type { FactsCache } from '../postgres/facts-cache';
import type { PostgresProtectionStore } from '../postgres/protection-store';
import type { CallerGate, GateVerdict } from '../routing/hotline-ports';

export interface ProtectionDeps {
  store: PostgresProtectionStore;
  agents: AgentStore;
  clock: Clock;
  logger: Logger;
  allowInternalTestCalls: boolean;
  /** Keeps the blocklist, internal numbers, agents' phones and standing reports in memory (src/postgres/facts-cache.ts). */
  facts?: FactsCache;
}

/** The hotline's gate (see HotlineService.incoming): the facts from the database, the verdict from the domain rule. */
export class ProtectionService implements CallerGate {
  constructor(private readonly d: ProtectionDeps) {}

  /** The verdict on an arriving caller; if the facts cannot be read, the caller is let through rather than refused. */
  async check(from: string, now: Date): Promise<GateVerdict> {
    try {
      return await this.verdict(from, now);
    } catch (err) {
      this.d.logger.error('caller screening failed: the call is let through', { from: maskPhone(from), err });
      return 'pass';
    }
  }

  private async verdict(from: string, now: Date): Promise<GateVerdict> {
    const fact = <T>(key: string, load: () => Promise<T>) => (this.d.facts ? this.d.facts.read(`gate:${key}`, now, load) : load());
    // Only the agents' phones: the whole roster is read for routing (src/routing/agent-offers.ts), not twice.
    const [blockRules, internal, agentPhones, reports] = await Promise.all([
      fact('blocklist', () => this.d.store.unliftedRules()),
      fact('internal', () => this.d.store.listInternal()),
      fact('agent-phones', () => this.d.agents.activePhones()),
      fact('reports', () => this.d.store.standingReportCounts()),
    ]);
    const standingReports = isWithheldNumber(from) ? 0 : (reports.get(from.trim()) ?? 0);
    const verdict = screenCaller({
      from,
      now,
      blockRules,
      internalPatterns: internal.map((i) => i.pattern),
      agentPhones,
      standingReports,
      allowInternalTestCalls: this.d.allowInternalTestCalls,
    });
    if (verdict !== 'pass') this.d.logger.info('caller screened', { from: maskPhone(from), verdict });
    return verdict;
  }

  /**
   * An agent reports the caller of a call as harassing. The first standing report warns the
   * number's next calls; the second blocks it (a blocklist rule 'harassment', added by the agent).
   */
  async report(call: { id: string; from: string }, agentId: string | null): Promise<{ reports: number; blocked: boolean }> {
    const now = this.d.clock.now();
    const phone = call.from.trim();
    await this.d.store.report({ phone, callId: call.id, agentId, at: now });
    const reports = await this.d.store.standingReports(phone);
    if (reports < REPORTS_TO_BLOCK) return { reports, blocked: false };
    const live = (await this.d.store.unliftedRules()).some((r) => r.pattern === phone && ruleIsLive(r, now));
    if (!live) {
      await this.d.store.addRule({ pattern: phone, reason: 'harassment', note: `${reports} reports by agents`, expiresAt: null, addedBy: agentId ? `agent:${agentId}` : 'agents', at: now, fromReports: true });
      this.d.logger.info('caller blocked after reports', { from: maskPhone(phone), reports });
    }
    return { reports, blocked: true };
  }
}
