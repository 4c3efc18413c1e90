import type { RollupPlan, TimeRange } from '../domain/rollup-slots';

/** Numbered query parameters gathered while a query's text is built. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `column` in any of the ranges; false for none, so an empty piece reads nothing. */
export function inRanges(column: string, ranges: readonly TimeRange[], p: SqlParams): string {
  if (ranges.length === 0) return 'false';
  return '(' + ranges.map((r) => `(${column} >= ${p.add(r.from)}::timestamptz AND ${column} < ${p.add(r.to)}::timestamptz)`).join(' OR ') + ')';
}

/** The rollup rows that cover the plan's whole days and slots, each once. */
export function wholeRollupRows(plan: RollupPlan, p: SqlParams, alias = ''): string {
  const span = `${alias}span_seconds`;
  const start = `${alias}slot_start`;
  return `((${span} = 86400 AND ${inRanges(start, plan.days, p)}) OR (${span} = 900 AND ${inRanges(start, plan.slots, p)}))`;
}

/** Only calls to that number (R13), or every number when there is none. */
export function onHotline(column: string, hotline: string | undefined, p: SqlParams): string {
  return hotline === undefined ? 'true' : `${column} = ${p.add(hotline)}::text`;
}
