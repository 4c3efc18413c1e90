import { iso } from '../api/json';
import type { AgentStore } from '../domain/ports';
import { overlaps, type LeaveKind } from '../domain/shifts';
import { BadRequestError, ConflictError } from '../errors';
import type { Leave, PostgresRosterStore } from '../postgres/roster-store';

export interface LeaveRequest {
  agentId: string;
  substituteAgentId: string;
  start: Date;
  end: Date;
  kind: LeaveKind;
}

/**
 * Records a leave under the roster's rules (R9), whoever asks: an admin through the API or the
 * agent from their phone page. The substitute must be another active agent who is not away
 * then; at most one agent on annual leave at a time; nobody covers for others while away.
 * Every refusal names its field and records nothing.
 */
export async function recordLeave(d: { store: PostgresRosterStore; agents: AgentStore }, input: LeaveRequest, now: Date): Promise<Leave> {
  if (input.end.getTime() <= input.start.getTime()) throw new BadRequestError('end: must be after start', 'end');
  const agent = await d.agents.get(input.agentId);
  if (!agent || !agent.active) throw new BadRequestError(`agentId: no active agent ${input.agentId}`, 'agentId');
  if (input.substituteAgentId === input.agentId) throw new BadRequestError('substituteAgentId: must be another agent', 'substituteAgentId');
  const substitute = await d.agents.get(input.substituteAgentId);
  if (!substitute || !substitute.active) throw new ConflictError(`substituteAgentId: agent ${input.substituteAgentId} is not active`, 'substituteAgentId');
  const span = { start: input.start, end: input.end };
  return d.store.addLeave(input, now, (overlapping) => {
    const subAway = overlapping.find((l) => l.agentId === input.substituteAgentId);
    if (subAway) throw new ConflictError(`substituteAgentId: the substitute is on leave ${subAway.id} (${iso(subAway.start)} to ${iso(subAway.end)})`, 'substituteAgentId');
    const own = overlapping.find((l) => l.agentId === input.agentId);
    if (own) throw new ConflictError(`agent is already on leave ${own.id} (${iso(own.start)} to ${iso(own.end)})`, 'start');
    // R9: at most one agent on annual leave at any moment.
    const annual = input.kind === 'annual' ? overlapping.find((l) => l.kind === 'annual' && overlaps(l, span)) : undefined;
    if (annual) throw new ConflictError(`overlaps annual leave ${annual.id} of agent ${annual.agentId} (${iso(annual.start)} to ${iso(annual.end)}): at most one agent on annual leave at a time`, 'start');
    // Covering for someone while on leave would leave their calls with nobody.
    const covering = overlapping.find((l) => l.substituteAgentId === input.agentId);
    if (covering) throw new ConflictError(`agent covers for leave ${covering.id} at that time`, 'agentId');
  });
}
