import type { Coordinator, LinePlace } from './ports';

/**
 * The coordinator's combined questions (Coordinator.arrive and enterLineAndLook) asked one by one,
 * for a coordinator without them, or one that cannot ask them at once right now (the failover
 * coordinator while Redis fails). Each pair is issued together: on one connection the second is
 * answered after the first.
 */

export async function arriveOneByOne(c: Coordinator, key: string): Promise<{ rotation: number; lineEmpty: boolean }> {
  const [rotation, waiting] = await Promise.all([c.nextRotation(key), c.lineMembers(key, 1)]);
  return { rotation, lineEmpty: waiting.length === 0 };
}

export async function enterLineThenLook(
  c: Coordinator,
  line: string,
  callId: string,
  arrivedAtMs: number,
  agentIds: readonly string[],
): Promise<{ ahead: number; anyUnclaimed: boolean }> {
  const [ahead, anyUnclaimed] = await Promise.all([c.enterLine(line, callId, arrivedAtMs), agentIds.length > 0 ? c.anyUnclaimed(agentIds) : false]);
  return { ahead, anyUnclaimed };
}

/** The order of a line: by arrival, then by call id (as Redis orders equal scores). */
export function linePlaceOrder(a: LinePlace, b: LinePlace): number {
  return a.arrivedAtMs - b.arrivedAtMs || (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0);
}
