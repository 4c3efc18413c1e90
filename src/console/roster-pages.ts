import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Agent } from '../domain/ports';
import { coverageGaps, rosterTimeline, type DutyInterval, type DutyRules } from '../domain/shifts';
import { rosterWeekday } from '../domain/work-calendar';
import { BadRequestError } from '../errors';
import { parseInput } from '../validation';
import type { ApiBridge } from './api-bridge';
import type { ConsoleDeps } from './console-deps';
import { html, type SafeHtml } from './html';
import { t, weekdayNames, type Lang } from './i18n';
import { csrfField, page } from './layout';
import { agentOptions, formBody, idParam, localInstant, nameOf, weekStart } from './page-kit';
import { requirePermission, viewerOf, type Viewer } from './session';

const SPAN = /^([01]\d|2[0-3]):[0-5]\d\s*[-–~]\s*([01]\d|2[0-3]):[0-5]\d$/;
const patternBody = z.object(Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [`day${d}`, z.string().max(200).default('')])));
const shiftBody = z.object({
  agentId: z.string({ message: 'choose an agent' }).uuid('choose an agent'),
  date: z.string({ message: 'is required' }),
  start: z.string({ message: 'is required' }),
  end: z.string({ message: 'is required' }),
  kind: z.enum(['on', 'off'], { message: 'must be on or off' }),
});

/** "08:00-12:00, 14:00-18:00" for one weekday: the pattern's slots, as the API takes them. */
export function parseDaySpans(day: number, text: string): { day: number; start: string; end: string }[] {
  const parts = text.split(/[,，、;；\s]+(?=\d)/).map((x) => x.trim()).filter(Boolean);
  return parts.map((p) => {
    if (!SPAN.test(p)) throw new BadRequestError(`day${day}: write times as 08:00-20:00, several separated by commas (an end before the start runs past midnight)`, `day${day}`);
    const [start, end] = p.split(/\s*[-–~]\s*/) as [string, string];
    return { day, start, end };
  });
}

interface Group {
  name: string;
  members: Agent[];
  /** Rung on holidays all day (the hotline's standby agents). */
  standby: Agent[];
}

/** The week of each hotline group: who is on duty each day, and the hours nobody is (shaded). */
export function rosterPages(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();
  const tz = d.timeZone;
  const rules: DutyRules = { timeZone: tz, holidays: d.c.config.HOLIDAYS, calendar: d.c.calendar };

  const dayCards = (v: Viewer, g: Group, from: DateTime, timeline: DutyInterval[]): SafeHtml => {
    const l = v.lang;
    const gaps = joined(coverageGaps(timeline));
    const fmt = (x: Date, dayEnd: DateTime) => (x.getTime() >= dayEnd.toMillis() ? '24:00' : DateTime.fromJSDate(x, { zone: tz }).toFormat('HH:mm'));
    return html`<div class="week-grid">${[0, 1, 2, 3, 4, 5, 6].map((i) => {
      const day = from.plus({ days: i });
      const end = day.plus({ days: 1 });
      const clip = (s: { start: Date; end: Date }) =>
        s.end.getTime() > day.toMillis() && s.start.getTime() < end.toMillis() ? `${fmt(new Date(Math.max(s.start.getTime(), day.toMillis())), end)}–${fmt(new Date(Math.min(s.end.getTime(), end.toMillis())), end)}` : null;
      const date = day.toISODate()!;
      const entry = d.c.calendar.dayOf(date);
      const holiday = rosterWeekday(d.c.calendar, date) === null || rules.holidays.includes(date);
      // Standby agents cover a holiday whole: not a gap when there are any.
      const dayGaps = holiday && g.standby.length ? [] : gaps.map(clip).filter((x): x is string => x !== null);
      const follows = rosterWeekday(d.c.calendar, date);
      const mark = holiday
        ? html`<p class="pill holiday" data-holiday>${entry?.name ?? t(l, 'kind_holiday')}</p>${g.standby.length ? html`<p data-standby>${t(l, 'standby')}: ${g.standby.map((a) => a.name).join('、')}</p>` : ''}`
        : entry?.kind === 'workday'
          ? html`<p class="pill makeup" data-makeup>${entry.name} · ${t(l, 'worksAsDay', { day: weekdayNames(l)[(follows ?? 1) - 1]! })}</p>`
          : '';
      return html`<section class="day ${dayGaps.length ? 'has-gap' : ''}${holiday ? ' holiday' : entry?.kind === 'workday' ? ' makeup' : ''}" data-day="${date}"><h3>${weekdayNames(l)[i]} ${day.toFormat('MM-dd')}</h3>${mark}
        <ul>${g.members.map((a) => {
          const spans = joined(timeline.filter((x) => x.onDuty.some((o) => o.agentId === a.id))).map(clip).filter((x): x is string => x !== null);
          const covering = timeline.some((x) => clip(x) && x.onDuty.some((o) => o.agentId === a.id && o.coveringFor.length > 0));
          return html`<li><b>${a.name}</b> ${spans.length ? spans.join(', ') : html`<span class="muted">${t(l, 'offDuty')}</span>`}${covering ? html` <span class="pill">${t(l, 'covering')}</span>` : ''}</li>`;
        })}</ul>
        ${dayGaps.map((x) => html`<p class="gap" data-gap>${t(l, 'noCover')} ${x}</p>`)}</section>`;
    })}</div>`;
  };

  r.get('/roster', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const from = weekStart(req.query.week, d.c.clock.now(), tz);
    const to = from.plus({ weeks: 1 });
    const agents = (await d.c.agents.list()).filter((a) => a.active);
    const hotlines = await d.c.rosterStore.listHotlines();
    const groups: Group[] = hotlines.length
      ? hotlines.map((h) => ({ name: `${h.name} · ${h.number}`, members: agents.filter((a) => h.agentIds.includes(a.id)), standby: agents.filter((a) => h.standbyAgentIds.includes(a.id)) }))
      : [{ name: t(l, 'allAgents'), members: agents, standby: [] }];
    const leaves = await d.c.rosterStore.leavesOverlapping(from.toJSDate(), to.toJSDate());
    const plans = await d.c.rosterStore.plans(agents.map((a) => a.id), from.minus({ days: 2 }).toJSDate(), to.toJSDate());
    const shifts = await d.c.rosterStore.listShifts(from.toJSDate(), to.toJSDate());
    const name = nameOf(await d.c.agents.list({ includeInactive: true }));
    const canChange = v.account.role !== 'viewer';
    const week = (x: DateTime) => `/console/roster?week=${x.toISODate()}`;
    const grids = groups.map((g) => {
      const ids = new Set(g.members.map((a) => a.id));
      // A member's substitute from outside the group answers its calls while covering, and only then.
      const subs = new Set(leaves.filter((x) => ids.has(x.agentId)).map((x) => x.substituteAgentId));
      const counted = new Set([...ids, ...subs]);
      const timeline = rosterTimeline(plans.filter((p) => counted.has(p.agentId)), leaves.filter((x) => counted.has(x.agentId)), from.toJSDate(), to.toJSDate(), rules).map((i) => ({
        ...i,
        onDuty: i.onDuty.filter((o) => ids.has(o.agentId) || o.coveringFor.some((x) => ids.has(x))),
      }));
      const outside = agents.filter((a) => subs.has(a.id) && !ids.has(a.id) && timeline.some((i) => i.onDuty.some((o) => o.agentId === a.id)));
      const shown = { ...g, members: [...g.members, ...outside] };
      return html`<section class="card" data-group="${g.name}"><h2>${g.name}</h2>${g.members.length ? dayCards(v, shown, from, timeline) : html`<p class="gap">${t(l, 'noMembers')}</p>`}</section>`;
    });
    const patterns = await Promise.all(agents.map(async (a) => ({ agent: a, weekly: (await d.c.rosterStore.schedule(a.id)) ?? [] })));
    res.type('html').send(
      page(v, { title: t(l, 'roster'), active: 'roster', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <p class="pager"><a href="${week(from.minus({ weeks: 1 }))}">← ${t(l, 'previousWeek')}</a> <b>${from.toFormat('yyyy-MM-dd')} – ${to.minus({ days: 1 }).toFormat('MM-dd')}</b>
          <a href="${week(from.plus({ weeks: 1 }))}">${t(l, 'nextWeek')} →</a></p>
        ${grids}
        <section class="card"><h2>${t(l, 'datedShifts')}</h2>
          ${shifts.length === 0 ? html`<p class="muted">${t(l, 'none')}</p>` : ''}
          <ul class="rows">${shifts.map(
            (s) => html`<li data-shift="${s.id}"><span>${name(s.agentId)} · ${t(l, `shift_${s.kind}`)} · ${DateTime.fromJSDate(s.start, { zone: tz }).toFormat('MM-dd HH:mm')}–${DateTime.fromJSDate(s.end, { zone: tz }).toFormat('MM-dd HH:mm')}</span>
              ${canChange ? html`<form class="inline" method="post" action="/console/roster/shifts/${s.id}/delete">${csrfField(v)}<input type="hidden" name="week" value="${from.toISODate()}"><button type="submit" class="secondary">${t(l, 'remove')}</button></form>` : ''}</li>`,
          )}</ul>
          ${canChange
            ? html`<form method="post" action="/console/roster/shifts" class="filters">${csrfField(v)}<input type="hidden" name="week" value="${from.toISODate()}">
                <label>${t(l, 'agent')}<select name="agentId" required>${agentOptions(agents)}</select></label>
                <label>${t(l, 'date')}<input type="date" name="date" required value="${from.toISODate()}"></label>
                <label>${t(l, 'startTime')}<input type="time" name="start" required value="08:00"></label>
                <label>${t(l, 'endTime')}<input type="time" name="end" required value="20:00"></label>
                <label>${t(l, 'shiftKind')}<select name="kind"><option value="on">${t(l, 'shift_on')}</option><option value="off">${t(l, 'shift_off')}</option></select></label>
                <button type="submit">${t(l, 'add')}</button></form><p class="muted">${t(l, 'endBeforeStart')}</p>`
            : ''}</section>
        <section class="card"><h2>${t(l, 'weeklyPatterns')}</h2><p class="muted">${t(l, 'patternHelp')}</p>
          ${patterns.map((p) => patternForm(v, p.agent, p.weekly, canChange, from.toISODate()!))}</section>`),
    );
  });

  r.post('/roster/agents/:id/pattern', requirePermission('change'), formBody, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const body = parseInput(patternBody, req.body);
    const weekly = [1, 2, 3, 4, 5, 6, 7].flatMap((day) => parseDaySpans(day, String(body[`day${day}`] ?? '')));
    await api.run(req, res, v, 'PUT', `/agents/${id}/schedule`, { weekly });
    res.redirect(303, `/console/roster?week=${weekParam(req.body)}&done=1`);
  });

  r.post('/roster/shifts', requirePermission('change'), formBody, async (req, res) => {
    const v = viewerOf(res);
    const b = parseInput(shiftBody, req.body);
    const start = localInstant(b.date, b.start, tz, 'start');
    let end = localInstant(b.date, b.end, tz, 'end');
    if (end <= start) end = DateTime.fromJSDate(end, { zone: tz }).plus({ days: 1 }).toJSDate();
    await api.run(req, res, v, 'POST', '/shifts', { agentId: b.agentId, start: start.toISOString(), end: end.toISOString(), kind: b.kind });
    res.redirect(303, `/console/roster?week=${weekParam(req.body)}&done=1`);
  });

  r.post('/roster/shifts/:id/delete', requirePermission('change'), formBody, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    await api.run(req, res, v, 'DELETE', `/shifts/${id}`);
    res.redirect(303, `/console/roster?week=${weekParam(req.body)}&done=1`);
  });

  return r;
}

/** Back-to-back spans as one (the timeline cuts wherever anyone's duty changes). */
const joined = (spans: readonly { start: Date; end: Date }[]) =>
  spans.reduce<{ start: Date; end: Date }[]>((out, x) => {
    const last = out.at(-1);
    if (last && last.end.getTime() === x.start.getTime()) last.end = x.end;
    else out.push({ start: x.start, end: x.end });
    return out;
  }, []);

const weekParam = (body: unknown) => {
  const w = (body as Record<string, unknown> | undefined)?.week;
  return typeof w === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(w) ? w : '';
};

function patternForm(v: Viewer, a: Agent, weekly: { day: number; start: string; end: string }[], canChange: boolean, week: string): SafeHtml {
  const l: Lang = v.lang;
  const spans = (day: number) => weekly.filter((s) => s.day === day).map((s) => `${s.start}-${s.end}`).join(', ');
  const summary = weekly.length ? [1, 2, 3, 4, 5, 6, 7].filter((x) => spans(x)).map((x) => `${weekdayNames(l)[x - 1]} ${spans(x)}`).join(' · ') : t(l, 'noPattern');
  return html`<details class="pattern" data-pattern="${a.id}"><summary><b>${a.name}</b> <span class="muted">${summary}</span></summary>
    ${canChange
      ? html`<form method="post" action="/console/roster/agents/${a.id}/pattern" class="filters pattern-days">${csrfField(v)}<input type="hidden" name="week" value="${week}">
          ${[1, 2, 3, 4, 5, 6, 7].map((x) => html`<label>${weekdayNames(l)[x - 1]}<input name="day${x}" value="${spans(x)}" placeholder="08:00-20:00" maxlength="200"></label>`)}
          <button type="submit">${t(l, 'save')}</button></form>`
      : ''}</details>`;
}
