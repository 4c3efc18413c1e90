import type { z } from 'zod';
import { BadRequestError } from './errors';

/** Parses API input with a schema; the first problem becomes a 400 naming the field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || undefined;
  throw new BadRequestError(field ? `${field}: ${issue.message}` : issue.message, field);
}
