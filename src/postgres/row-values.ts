/** A nullable column as read from a row: null stays null (pg gives timestamptz as Date, bigint as string). */
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : (v as Date));
export const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const stringOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
