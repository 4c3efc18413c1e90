import type { HostileRequest } from './hostile-requests';
import { headOverLimit, judgeAnswer } from './judge';
import type { HostileResponse } from './send-request';

export type Phase = 'unsigned' | 'signed';

export interface Outcome {
  phase: Phase;
  index: number;
  request: HostileRequest;
  answer: HostileResponse;
  problem?: string;
}

export function judgeAll(phase: Phase, requests: HostileRequest[], answers: HostileResponse[]): Outcome[] {
  return requests.map((request, index) => {
    const answer = answers[index]!;
    return { phase, index, request, answer, problem: judgeAnswer(request, answer, phase) };
  });
}

/** The status, or `reset>16KB` for a head Node refused (see judge.ts), or `dropped`. */
function statusLabel(o: Outcome): string {
  if (o.answer.status !== undefined) return String(o.answer.status);
  return headOverLimit(o.request) && !o.problem ? 'reset>16KB' : 'dropped';
}

/** One line per route: how many requests, and how many got each status (or no answer). */
export function routeTable(outcomes: Outcome[]): string[] {
  const byRoute = new Map<string, Map<string, number>>();
  for (const o of outcomes) {
    const key = `${o.request.route.method} ${o.request.route.path}`;
    const statuses = byRoute.get(key) ?? new Map<string, number>();
    const status = statusLabel(o);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    byRoute.set(key, statuses);
  }
  const width = Math.max(...[...byRoute.keys()].map((k) => k.length));
  return [...byRoute.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([route, statuses]) => {
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      const parts = [...statuses.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}:${n}`);
      return `  ${route.padEnd(width)}  ${String(total).padStart(5)}  ${parts.join(' ')}`;
    });
}

/** Status counts over all routes, e.g. { 200: 812, 403: 4000, ... }. */
export function statusTotals(outcomes: Outcome[]): string {
  const totals = new Map<string, number>();
  for (const o of outcomes) {
    const s = statusLabel(o);
    totals.set(s, (totals.get(s) ?? 0) + 1);
  }
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}:${n}`).join(' ');
}

/** A failed request told well enough to replay it: phase, index in the seeded sample, what was sent. */
export function describeFailure(o: Outcome): string {
  const r = o.request;
  const body = r.body ? `${r.body.length} bytes ${JSON.stringify(r.body.subarray(0, 120).toString('latin1'))}` : 'no body';
  const answer = o.answer.error ?? `${o.answer.status} ${JSON.stringify((o.answer.body ?? '').slice(0, 160))}`;
  return `  [${o.phase} #${o.index}] ${r.method} ${r.path.slice(0, 160)} (${r.shape}, content-type ${r.headers['content-type'] ?? 'none'}, ${body}): ${o.problem} — answered ${answer}`;
}
