import type { Container, Feature } from '../container';
import { PostgresProtectionStore } from '../postgres/protection-store';
import { ProtectionService } from './caller-gate';
import { protectionRoutes } from './protection-routes';
import { reportButtonRoutes } from './report-button';

export interface ProtectionFeature extends Feature {
  service: ProtectionService;
  store: PostgresProtectionStore;
}

/**
 * Who gets through (R10): the blocklist refuses callers before the call is answered, internal
 * numbers are told the line is for customers, and a number agents report is warned, then blocked.
 */
export function protectionFeature(c: Container): ProtectionFeature {
  const store = new PostgresProtectionStore(c.db);
  const service = new ProtectionService({ store, agents: c.agents, clock: c.clock, logger: c.logger, allowInternalTestCalls: c.config.INTERNAL_TEST_CALLS, facts: c.facts });
  c.hotline.setGate(service);
  return {
    name: 'protection',
    service,
    store,
    apiRoutes(router) {
      protectionRoutes(router, { store, agents: c.agents, calls: c.calls, clock: c.clock });
    },
    publicRoutes(router) {
      reportButtonRoutes(router, { calls: c.calls, service, clock: c.clock, secret: c.config.LINK_SECRET, language: c.config.PROMPT_LANGUAGE });
    },
  };
}
