import { appendFileSync } from 'node:fs';
import type { Coordinator } from '../../src/domain/ports';
import type { Clock } from '../../src/domain/clock';

/** CLAIM_TRACE=<file>: every claim, extension and release of a coordinator, with who asked (debugging claims that outlive their calls). */
export function traceClaims(c: Coordinator, instance: number, clock: Clock): Coordinator {
  const file = process.env.CLAIM_TRACE;
  if (!file) return c;
  const who = () =>
    (new Error().stack ?? '')
      .split('\n')
      .slice(3)
      .filter((l) => l.includes('/src/') || l.includes('/webhooks/'))
      .slice(0, 6)
      .map((l) => l.trim().replace(/^at /, '').replace(/\(.*\/(src|webhooks)\//, '($1/'))
      .join(' < ');
  const log = (op: string, detail: object) => appendFileSync(file, JSON.stringify({ t: clock.now().toISOString(), real: Date.now(), i: instance, mode: c.mode?.(), op, ...detail }) + '\n');
  const wrap = <A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>, args: (...a: A) => object) =>
    async (...a: A): Promise<R> => {
      const stack = who();
      try {
        const r = await fn.apply(c, a);
        log(name, { ...args(...a), r, stack });
        return r;
      } catch (err) {
        log(name, { ...args(...a), err: (err as Error).message, stack });
        throw err;
      }
    };
  const o = c as unknown as Record<string, unknown>;
  o.claimFirstFree = wrap('claim', c.claimFirstFree.bind(c), (ids: readonly string[], holder: string, ttl: number) => ({ ids: ids.map((x) => x.slice(0, 8)), holder, ttl }));
  o.extendClaim = wrap('extend', c.extendClaim.bind(c), (id: string, holder: string, ttl: number) => ({ id: id.slice(0, 8), holder, ttl }));
  o.releaseClaim = wrap('release', c.releaseClaim.bind(c), (id: string, holder: string) => ({ id: id.slice(0, 8), holder }));
  return c;
}
