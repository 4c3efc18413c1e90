/**
 * Sequential round-robin ("顺振" + "平均分配", R1). Every call takes the next value of a shared
 * counter as its rotation offset; its hunt walks the routable agents (in roster position order)
 * starting at offset mod n, so consecutive calls start at consecutive agents and, over a day,
 * every agent is offered first about equally often.
 */
export interface RoutableAgent {
  id: string;
  position: number;
}

/** The hunt order for one call: all routable agents, starting at the call's offset, minus those tried. */
export function huntOrder<A extends RoutableAgent>(agents: readonly A[], rotationOffset: number, tried: ReadonlySet<string>): A[] {
  const roster = [...agents].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
  const n = roster.length;
  if (n === 0) return [];
  const start = ((rotationOffset % n) + n) % n;
  const ordered = [...roster.slice(start), ...roster.slice(0, start)];
  return ordered.filter((a) => !tried.has(a.id));
}
