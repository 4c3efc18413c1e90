/**
 * How a range of arrival times [from, to) is read when the figures are kept in rollups of
 * 15-minute slots and UTC days (migration 0016): whole UTC days from the day rows, whole slots
 * around them from the slot rows, and the ragged minutes at either edge from the calls
 * themselves. Every call of the range is in exactly one piece.
 */
export const SLOT_MS = 15 * 60 * 1000;
export const DAY_MS = 24 * 3600 * 1000;

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface RollupPlan {
  /** Read from calls: the partial slots at the edges (or the whole range when it holds no slot). */
  raw: TimeRange[];
  /** Whole UTC days, read from the day rows. */
  days: TimeRange[];
  /** Whole slots outside those days, read from the slot rows. */
  slots: TimeRange[];
  /** Every whole slot of the range (days included): for figures split by local hour or date. */
  allSlots: TimeRange | null;
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;

function nonEmpty(from: number, to: number): TimeRange[] {
  return from < to ? [{ from: new Date(from), to: new Date(to) }] : [];
}

export function rollupPlan(from: Date, to: Date): RollupPlan {
  const f = from.getTime();
  const t = to.getTime();
  const firstSlot = ceilTo(f, SLOT_MS);
  const endSlot = floorTo(t, SLOT_MS);
  if (firstSlot >= endSlot) return { raw: nonEmpty(f, t), days: [], slots: [], allSlots: null };
  const raw = [...nonEmpty(f, firstSlot), ...nonEmpty(endSlot, t)];
  const firstDay = ceilTo(firstSlot, DAY_MS);
  const endDay = floorTo(endSlot, DAY_MS);
  const allSlots = { from: new Date(firstSlot), to: new Date(endSlot) };
  if (firstDay >= endDay) return { raw, days: [], slots: [allSlots], allSlots };
  return {
    raw,
    days: nonEmpty(firstDay, endDay),
    slots: [...nonEmpty(firstSlot, firstDay), ...nonEmpty(endDay, endSlot)],
    allSlots,
  };
}
