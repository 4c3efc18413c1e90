/** What the smoke (scripts/smoke-start.ts) fails with: a sentence that says what was expected. */
export class SmokeFailure extends Error {}

export function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new SmokeFailure(message);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
