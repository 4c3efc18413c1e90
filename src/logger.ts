import winston from 'winston';
import { maskPhone, maskPhonesInText } from './domain/endpoint';

export type Logger = winston.Logger;

/** Keys whose values are phone numbers or secrets wherever they appear in a log entry. */
const PHONE_KEYS = new Set(['from', 'to', 'caller', 'called', 'phone', 'endpoint', 'number', 'From', 'To', 'Caller', 'Called']);
const SECRET_KEYS = /token|secret|password|authorization|signature/i;

function scrub(value: unknown, key: string | undefined, depth: number): unknown {
  if (key && SECRET_KEYS.test(key)) return '[redacted]';
  if (typeof value === 'string') return key && PHONE_KEYS.has(key) ? maskPhone(value) : maskPhonesInText(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: maskPhonesInText(value.message), stack: value.stack && maskPhonesInText(value.stack) };
  if (Array.isArray(value)) return value.map((v) => scrub(v, undefined, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, k, depth + 1);
  return out;
}

/** Masks phone numbers and redacts secrets in every entry, whatever the caller passed. */
const privacy = winston.format((info) => {
  for (const key of Object.keys(info)) {
    (info as Record<string, unknown>)[key] = scrub(info[key], key, 0);
  }
  return info;
});

/** JSON entries on stdout (warnings and errors on stderr), or appended to `file` when one is named (the demo's log). */
export function createLogger(level: string, silent = false, file?: string): Logger {
  return winston.createLogger({
    level,
    silent,
    format: winston.format.combine(winston.format.errors({ stack: true }), privacy(), winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'threering' },
    transports: [file ? new winston.transports.File({ filename: file }) : new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}
