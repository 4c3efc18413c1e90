import { afterCallFeature } from './after-call/after-call-feature';
import { agentPageFeature } from './agent-page/agent-page-feature';
import { callbackFeature } from './callbacks/callback-feature';
import { complaintFeature } from './complaints/complaint-feature';
import { consoleFeature } from './console/console-feature';
import { protectionFeature } from './protection/protection-feature';
import { qcFeature } from './quality/qc-feature';
import { recordingFeature } from './recordings/recording-feature';
import { monthlyReportFeature } from './reports/monthly-report';
import { callEndOutboxFeature } from './routing/call-end-outbox-feature';
import { callSettlerFeature } from './routing/call-settler-feature';
import { rosterFeature } from './roster/roster-feature';
import { waitingLineFeature } from './routing/waiting-line-feature';
import { spoolFeature } from './spool/spool-feature';
import { holidaysFeature } from './holidays/holidays-feature';
import { notifyFeature } from './notify/notify-feature';
import { ticketFeature } from './tickets/ticket-feature';
import type { Container, Feature } from './container';

/** The features beyond call routing, wired onto a built container. */
export function installFeatures(c: Container): Feature[] {
  const features: Feature[] = [];
  features.push(waitingLineFeature(c));
  features.push(callSettlerFeature(c));
  features.push(callEndOutboxFeature(c));
  features.push(rosterFeature(c));
  features.push(protectionFeature(c));
  features.push(callbackFeature(c));
  features.push(afterCallFeature(c));
  features.push(complaintFeature(c));
  features.push(monthlyReportFeature(c));
  features.push(qcFeature(c));
  features.push(consoleFeature(c));
  features.push(spoolFeature(c));
  features.push(agentPageFeature(c));
  features.push(recordingFeature(c));
  features.push(holidaysFeature(c));
  features.push(notifyFeature(c));
  features.push(ticketFeature(c));
  c.features.push(...features);
  return features;
}
