import express from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Agent } from '../domain/ports';
import { BadRequestError } from '../errors';
import { html } from './html';

/** Forms of the admin pages: small, urlencoded. */
export const formBody = express.urlencoded({ extended: false, limit: '20kb' });

export const idParam = z.object({ id: z.string().uuid('must be an id') });

/** A date and a time typed in the hotline's time zone (the console's, not the browser's), as an instant. */
export function localInstant(date: string | undefined, time: string | undefined, timeZone: string, field: string): Date {
  const d = DateTime.fromFormat(`${date ?? ''} ${time || '00:00'}`, 'yyyy-MM-dd HH:mm', { zone: timeZone });
  if (!d.isValid) throw new BadRequestError(`${field}: must be a date (YYYY-MM-DD) and a time (HH:MM)`, field);
  return d.toJSDate();
}

/** The Monday 00:00 of the week holding `day` (YYYY-MM-DD) or today, in the time zone. */
export function weekStart(day: unknown, now: Date, timeZone: string): DateTime {
  const asked = typeof day === 'string' && day !== '' ? DateTime.fromISO(day, { zone: timeZone }) : null;
  if (asked && !asked.isValid) throw new BadRequestError('week: must be a date (YYYY-MM-DD)', 'week');
  return (asked ?? DateTime.fromJSDate(now, { zone: timeZone })).startOf('week');
}

export const agentOptions = (agents: readonly Agent[], selected?: string | null) =>
  agents.map((a) => html`<option value="${a.id}" ${a.id === selected ? html`selected` : ''}>${a.name}</option>`);

export const nameOf = (agents: readonly Agent[]) => {
  const names = new Map(agents.map((a) => [a.id, a.name]));
  return (id: string | null | undefined) => (id ? (names.get(id) ?? id.slice(0, 8)) : '—');
};
