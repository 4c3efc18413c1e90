import { Router, type RequestHandler } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { accountActor } from '../domain/console-roles';
import { WEEKDAYS, type CalendarDay } from '../domain/work-calendar';
import { BadRequestError, ForbiddenError } from '../errors';
import type { ConsoleDeps } from '../console/console-deps';
import { html } from '../console/html';
import { t, weekdayNames } from '../console/i18n';
import { csrfField, page } from '../console/layout';
import { formBody } from '../console/page-kit';
import { viewerOf } from '../console/session';
import { parseInput } from '../validation';
import { holidayDeps } from './holidays-feature';
import { checkedYear, dayJson, saveYear, yearQuery } from './holiday-routes';

const dayForm = z.object({
  year: z.string(),
  date: z.string({ message: 'is required' }),
  kind: z.enum(['holiday', 'workday'], { message: "must be 'holiday' or 'workday'" }),
  name: z.string({ message: 'is required' }),
  worksAs: z.string().default(''),
});
const removeForm = z.object({ year: z.string(), date: z.string({ message: 'is required' }) });
const pasteForm = z.object({ year: z.string(), json: z.string({ message: 'is required' }).max(20_000) });

/** Changing the calendar moves everyone's duty: admins only; supervisors and viewers read. */
const adminOnly: RequestHandler = (_req, res, next) => {
  const role = viewerOf(res).account.role;
  next(role === 'admin' ? undefined : new ForbiddenError(`your role (${role}) may read the holidays but not change them`));
};

/** /console/holidays: a year's holidays and make-up workdays, a day added or removed, a year pasted as JSON. */
export function holidaysPages(d: ConsoleDeps): Router {
  const r = Router();
  const deps = holidayDeps(d.c);
  const yearOf = (v: unknown) => parseInput(yearQuery, { year: v }).year;
  const back = (year: number) => `/console/holidays?year=${year}&done=1`;
  const replace = async (res: Parameters<RequestHandler>[1], year: number, days: CalendarDay[]) =>
    saveYear(deps, year, checkedYear(year, { days }), accountActor(viewerOf(res).account.username));

  r.get('/holidays', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const year = yearOf(req.query.year ?? DateTime.fromJSDate(d.c.clock.now(), { zone: d.timeZone }).year);
    const days = await deps.store.year(year);
    const fromSetting = deps.settingHolidays.filter((x) => x.startsWith(`${year}-`));
    const isAdmin = v.account.role === 'admin';
    const weekday = (date: string) => (l === 'zh' ? '周' : '') + weekdayNames(l)[DateTime.fromISO(date).weekday - 1];
    const weekdayOption = (w: string) => html`<option value="${w}">${weekdayNames(l)[WEEKDAYS.indexOf(w as (typeof WEEKDAYS)[number])]}</option>`;
    res.type('html').send(
      page(v, { title: t(l, 'holidays'), active: 'holidays', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <p class="pager"><a href="/console/holidays?year=${year - 1}">← ${t(l, 'previousYear')}</a> <b>${t(l, 'holidaysOfYear', { year })}</b>
          <a href="/console/holidays?year=${year + 1}">${t(l, 'nextYear')} →</a></p>
        <p class="muted">${t(l, 'holidaysHelp')}</p>
        <section class="card"><h2>${t(l, 'holidaysOfYear', { year })}</h2>
          ${days.length === 0 ? html`<p class="muted" data-empty>${t(l, 'noHolidayDays')}</p>` : ''}
          <ul class="rows holiday-days">${days.map(
            (x) => html`<li data-date="${x.date}"><span>${x.date} ${weekday(x.date)} <span class="pill ${x.kind === 'holiday' ? 'holiday' : 'makeup'}">${t(l, `kind_${x.kind}`)}</span> ${x.name}${
              x.kind === 'workday' ? html` · ${t(l, 'worksAsDay', { day: weekdayNames(l)[WEEKDAYS.indexOf(x.worksAs ?? 'monday')]! })}` : ''
            }</span>
              ${isAdmin ? html`<form class="inline" method="post" action="/console/holidays/remove">${csrfField(v)}<input type="hidden" name="year" value="${year}"><input type="hidden" name="date" value="${x.date}"><button type="submit" class="secondary">${t(l, 'remove')}</button></form>` : ''}</li>`,
          )}</ul>
          ${fromSetting.length ? html`<p data-from-setting>${t(l, 'fromSetting')}: ${fromSetting.join(', ')}</p>` : ''}</section>
        ${isAdmin
          ? html`<section class="card"><h2>${t(l, 'addDay')}</h2><form method="post" action="/console/holidays/day" class="filters">${csrfField(v)}<input type="hidden" name="year" value="${year}">
              <label>${t(l, 'date')}<input type="date" name="date" required min="${year}-01-01" max="${year}-12-31" value="${year}-01-01"></label>
              <label>${t(l, 'holidayKind')}<select name="kind"><option value="holiday">${t(l, 'kind_holiday')}</option><option value="workday">${t(l, 'kind_workday')}</option></select></label>
              <label>${t(l, 'dayName')}<input name="name" required maxlength="100" placeholder="国庆节"></label>
              <label>${t(l, 'worksAs')}<select name="worksAs"><option value="">${t(l, 'worksAsDefault')}</option>${WEEKDAYS.map(weekdayOption)}</select></label>
              <button type="submit">${t(l, 'save')}</button></form></section>
            <section class="card"><h2>${t(l, 'pasteYear')}</h2><form method="post" action="/console/holidays/paste" class="stack">${csrfField(v)}<input type="hidden" name="year" value="${year}">
              <textarea name="json" class="year-json" required placeholder='{"year": ${year}, "days": [{"date": "${year}-10-01", "kind": "holiday", "name": "国庆节"}]}'>${JSON.stringify({ year, days: days.map(dayJson) }, null, 1)}</textarea>
              <button type="submit">${t(l, 'replaceYear')}</button></form></section>`
          : html`<p class="muted" data-read-only>${t(l, 'holidaysAdminOnly')}</p>`}`),
    );
  });

  r.post('/holidays/day', adminOnly, formBody, async (req, res) => {
    const b = parseInput(dayForm, req.body);
    const year = yearOf(b.year);
    if (b.worksAs !== '' && !(WEEKDAYS as readonly string[]).includes(b.worksAs)) throw new BadRequestError('worksAs: must be a weekday', 'worksAs');
    const day: CalendarDay = { date: b.date, kind: b.kind, name: b.name.trim(), ...(b.kind === 'workday' && b.worksAs ? { worksAs: b.worksAs as CalendarDay['worksAs'] } : {}) };
    const others = (await deps.store.year(year)).filter((x) => x.date !== b.date);
    await replace(res, year, [...others, day]);
    res.redirect(303, back(year));
  });

  r.post('/holidays/remove', adminOnly, formBody, async (req, res) => {
    const b = parseInput(removeForm, req.body);
    const year = yearOf(b.year);
    await replace(res, year, (await deps.store.year(year)).filter((x) => x.date !== b.date));
    res.redirect(303, back(year));
  });

  r.post('/holidays/paste', adminOnly, formBody, async (req, res) => {
    const b = parseInput(pasteForm, req.body);
    const year = yearOf(b.year);
    let body: unknown;
    try {
      body = JSON.parse(b.json);
    } catch (err) {
      throw new BadRequestError(`json: not valid JSON (${(err as Error).message})`, 'json');
    }
    await saveYear(deps, year, checkedYear(year, body), accountActor(viewerOf(res).account.username));
    res.redirect(303, back(year));
  });

  return r;
}
