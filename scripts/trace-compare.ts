/**
 * Two runs' request traces (scripts/trace-requests.cjs) side by side: for the last `--last`
 * requests to one webhook in each, the total's p50, p99 and mean, and for each statement or
 * command how many a request waited on and how long each took (median, mean), the costliest in
 * the second run first.
 *
 *   npx tsx scripts/trace-compare.ts a.json b.json [--webhook incoming|dial-result] [--last 300]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { percentile } from '../src/simulator/simulation';

interface Trace {
  url: string;
  total: number;
  ops: [name: string, at: number, took: number][];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { webhook: { type: 'string', default: 'incoming' }, last: { type: 'string', default: '300' } } });
if (positionals.length !== 2) {
  process.stderr.write('usage: trace-compare a.json b.json [--webhook incoming|dial-result] [--last 300]\n');
  process.exit(2);
}
const last = Number(values.last);

function load(file: string) {
  const traces = (JSON.parse(readFileSync(file, 'utf8')) as Trace[]).filter((t) => t.url.endsWith(`/${values.webhook}`)).slice(-last);
  const ops = new Map<string, number[]>();
  for (const t of traces) for (const [name, , took] of t.ops) ops.set(name, [...(ops.get(name) ?? []), took]);
  return { totals: traces.map((t) => t.total), ops, n: traces.length };
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const f = (x: number | null) => (x ?? 0).toFixed(2);
const [a, b] = positionals.map(load) as [ReturnType<typeof load>, ReturnType<typeof load>];
console.log(`${values.webhook}: ${a.n} and ${b.n} requests`);
console.log(`total ms   p50 ${f(percentile(a.totals, 50))} → ${f(percentile(b.totals, 50))}   p99 ${f(percentile(a.totals, 99))} → ${f(percentile(b.totals, 99))}   mean ${f(mean(a.totals))} → ${f(mean(b.totals))}`);
console.log('| statement or command | a request, (a) | a request, (b) | median ms (a) | median ms (b) | mean ms (a) | mean ms (b) |');
console.log('|---|---|---|---|---|---|---|');
const names = [...new Set([...a.ops.keys(), ...b.ops.keys()])];
const weight = (name: string) => ((b.ops.get(name)?.length ?? 0) / b.n) * mean(b.ops.get(name) ?? []);
for (const name of names.sort((x, y) => weight(y) - weight(x))) {
  const [xa, xb] = [a.ops.get(name) ?? [], b.ops.get(name) ?? []];
  if (xa.length / a.n < 0.05 && xb.length / b.n < 0.05) continue;
  console.log(`| ${name.replace(/\|/g, '\\|')} | ${f(xa.length / a.n)} | ${f(xb.length / b.n)} | ${f(percentile(xa, 50))} | ${f(percentile(xb, 50))} | ${f(mean(xa))} | ${f(mean(xb))} |`);
}
