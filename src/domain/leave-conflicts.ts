import { overlaps, type LeaveSpan } from './shifts';

/**
 * What a leave collides with among other leaves, in the order the roster API refuses them:
 *   substitute-away  the substitute is on leave at the same time
 *   own-leave        the agent is already on leave then
 *   annual           another agent's annual leave overlaps an annual leave (R9: one at a time)
 *   covering         the agent covers for someone else's leave then
 * A leave recorded before a rule changed may still collide: the console shows it, not hides it.
 */
export type LeaveCollision = { kind: 'substitute-away' | 'own-leave' | 'annual' | 'covering'; with: LeaveSpan };

export function leaveCollisions(leave: Omit<LeaveSpan, 'id'> & { id?: string }, others: readonly LeaveSpan[]): LeaveCollision[] {
  const out: LeaveCollision[] = [];
  for (const o of others) {
    if (o.id === leave.id || !overlaps(o, leave)) continue;
    if (o.agentId === leave.substituteAgentId) out.push({ kind: 'substitute-away', with: o });
    else if (o.agentId === leave.agentId) out.push({ kind: 'own-leave', with: o });
    else if (o.substituteAgentId === leave.agentId) out.push({ kind: 'covering', with: o });
    else if (leave.kind === 'annual' && o.kind === 'annual') out.push({ kind: 'annual', with: o });
  }
  return out;
}
