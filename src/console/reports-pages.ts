import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { weeklyReport, type ReportDeps } from '../api/reports-routes';
import { answerRate, percentFigure, roundTo } from '../domain/report-rounding';
import { isoWeekRange } from '../domain/report-week';
import { BadRequestError } from '../errors';
import { PostgresReportStore } from '../postgres/report-store';
import { parseInput } from '../validation';
import type { ConsoleDeps } from './console-deps';
import { weeklyTicketsTable } from './ticket-sections';
import { html, jsonBlock } from './html';
import { t, weekdayNames, type Lang } from './i18n';
import { localTime, page, percent, secondsText } from './layout';
import { viewerOf } from './session';

const weekQuery = z.object({ week: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(10).optional()) });
const HEATMAP_DAYS = 28;
type Report = Awaited<ReturnType<typeof weeklyReport>>;

const pct = (r: number | null) => (r === null ? null : Math.round(r * 1000) / 10);

/** ECharts options, plain JSON (no functions), so the page carries them in a data block. */
function chartOptions(l: Lang, r: Report, heat: { weekday: number; hour: number; offered: number }[], ring: Map<string, number | null>) {
  const days = weekdayNames(l);
  const maxHeat = Math.max(1, ...heat.map((h) => h.offered));
  return {
    byDay: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 16, bottom: 32, top: 36 },
      xAxis: { type: 'category', data: r.days.map((x, i) => `${days[i]} ${x.date.slice(5)}`) },
      yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
      series: [
        { name: t(l, 'answerRate'), type: 'bar', data: r.days.map((x) => (x.offered ? pct(x.answered / x.offered) : null)) },
        { name: t(l, 'serviceLevel'), type: 'line', data: r.days.map((x) => pct(x.serviceLevel)) },
      ],
    },
    heatmap: {
      tooltip: { position: 'top' },
      grid: { left: 40, right: 16, bottom: 90, top: 10 },
      xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')), splitArea: { show: true } },
      yAxis: { type: 'category', data: [...days], inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: maxHeat, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
      series: [{ name: t(l, 'offered'), type: 'heatmap', data: heat.map((h) => [h.hour, h.weekday - 1, h.offered]), label: { show: false } }],
    },
    perAgent: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 48, bottom: 48, top: 36 },
      xAxis: { type: 'category', data: r.agents.map((a) => a.name ?? a.agentId), axisLabel: { interval: 0, rotate: r.agents.length > 4 ? 30 : 0 } },
      yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', name: 's', position: 'right' }],
      series: [
        { name: t(l, 'offers'), type: 'bar', data: r.agents.map((a) => a.offers) },
        { name: t(l, 'accepted'), type: 'bar', data: r.agents.map((a) => a.accepted) },
        { name: t(l, 'ringWhenAccepted'), type: 'line', yAxisIndex: 1, data: r.agents.map((a) => ring.get(a.agentId) ?? null) },
      ],
    },
    ratings: {
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 16, bottom: 32, top: 16 },
      xAxis: { type: 'category', data: ['1', '2', '3', '4', '5'] },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: t(l, 'ratings'), type: 'bar', data: (['1', '2', '3', '4', '5'] as const).map((k) => r.ratings.distribution[k]) }],
    },
  };
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The weekly summary (R7) with charts, as a CSV download, and as a page for the weekly meeting's printer. */
export function reportsPages(d: ConsoleDeps): Router {
  const r = Router();
  const tz = d.timeZone;
  const reportDeps: ReportDeps = { analytics: d.c.analytics, reports: new PostgresReportStore(d.c.db), agents: d.c.agents, clock: d.c.clock, timeZone: tz };
  // The console opens on the week in progress; the API's default stays the last complete week.
  const weekOf = (q: unknown) => {
    const { week } = parseInput(weekQuery, q);
    if (week && !isoWeekRange(week, tz)) throw new BadRequestError('week: must be an ISO week such as 2026-W48', 'week');
    return week ?? DateTime.fromJSDate(d.c.clock.now(), { zone: tz }).toFormat("kkkk-'W'WW");
  };

  const render = (print: boolean) => async (req: import('express').Request, res: import('express').Response) => {
    const v = viewerOf(res);
    const l = v.lang;
    const week = weekOf(req.query);
    const report = await weeklyReport(reportDeps, week);
    const to = d.c.clock.now();
    const [heat, agentFigures] = await Promise.all([
      d.store.byHourOfWeek(new Date(to.getTime() - HEATMAP_DAYS * 24 * 3600 * 1000), to, tz),
      d.c.analytics.agentSummary(new Date(report.from), new Date(report.to)),
    ]);
    const ring = new Map(agentFigures.map((a) => [a.agentId, a.averageRingSecondsWhenAccepted === null ? null : Math.round(a.averageRingSecondsWhenAccepted * 10) / 10]));
    const c = report.calls;
    const prev = DateTime.fromJSDate(new Date(report.from), { zone: tz }).minus({ weeks: 1 }).toFormat("kkkk-'W'WW");
    const tile = (k: string, text: string, value: unknown) => html`<div class="tile" data-tile="${k}" data-value="${String(value ?? '')}"><div class="k">${text}</div><div class="v">${String(value ?? '')}</div></div>`;
    res.type('html').send(
      page(v, { title: `${t(l, 'weekly')} · ${report.week}`, active: 'reports', charts: true, bodyClass: print ? 'print' : '' }, html`
        <form class="filters card no-print" method="get" action="/console/reports">
          <label>${t(l, 'week')}<input name="week" value="${report.week}" pattern="\\d{4}-W\\d{2}" size="9"></label><button type="submit">${t(l, 'filter')}</button>
          <a href="/console/reports?week=${prev}">← ${prev}</a>
          <a href="/console/reports/weekly.csv?week=${report.week}" download>${t(l, 'downloadCsv')}</a>
          <a href="/console/reports/print?week=${report.week}">${t(l, 'print')}</a></form>
        <p class="muted">${localTime(new Date(report.from), tz, 'yyyy-MM-dd')} – ${localTime(new Date(new Date(report.to).getTime() - 1), tz, 'yyyy-MM-dd')} (${tz})</p>
        <section class="tiles">
          ${tile('offered', t(l, 'offered'), c.offered)}${tile('answered', t(l, 'answered'), c.answered)}${tile('missed', t(l, 'missed'), c.missed)}${tile('abandoned', t(l, 'abandoned'), c.abandoned)}
          ${tile('answerRate', t(l, 'answerRate'), percent(c.answerRate))}${tile('serviceLevel', t(l, 'serviceLevel'), percent(c.serviceLevel))}
          ${tile('asa', t(l, 'speedOfAnswer'), secondsText(c.averageSpeedOfAnswerSeconds))}${tile('callbacksOnTime', t(l, 'callbacksOnTime'), percent(report.callbacks.onTimeRate))}
          ${tile('averageRating', t(l, 'averageRating'), report.ratings.average === null ? '—' : report.ratings.average.toFixed(2))}${tile('fines', t(l, 'finesWeek'), report.fines.total)}
        </section>
        ${jsonBlock('chart-data', chartOptions(l, report, heat, ring))}
        <div class="charts">
          <section class="card"><h2>${t(l, 'byDay')}</h2><div class="chart" data-chart="byDay"></div></section>
          <section class="card"><h2>${t(l, 'heatmap')}</h2><div class="chart" data-chart="heatmap"></div></section>
          <section class="card"><h2>${t(l, 'perAgent')}</h2><div class="chart" data-chart="perAgent"></div></section>
          <section class="card"><h2>${t(l, 'ratingDistribution')}</h2><div class="chart" data-chart="ratings"></div></section>
        </div>
        <h2>${t(l, 'agents')}</h2>
        <div class="scroll"><table><thead><tr><th>${t(l, 'name')}</th><th>${t(l, 'offers')}</th><th>${t(l, 'accepted')}</th><th>${t(l, 'acceptRate')}</th><th>${t(l, 'ringWhenAccepted')}</th>
          <th>${t(l, 'speedOfAnswer')}</th><th>${t(l, 'averageRating')}</th><th>${t(l, 'callbacksOnTime')}</th><th>${t(l, 'callbacksLate')}</th><th>${t(l, 'fines')}</th></tr></thead><tbody>
          ${report.agents.map(
            (a) => html`<tr><td>${a.name ?? a.agentId}</td><td>${a.offers}</td><td>${a.accepted}</td><td>${percent(a.acceptRate)}</td><td>${secondsText(ring.get(a.agentId))}</td>
              <td>${secondsText(a.averageSpeedOfAnswerSeconds)}</td><td>${a.averageRating === null ? '—' : a.averageRating.toFixed(2)}</td><td>${a.callbacksOnTime}</td><td>${a.callbacksLate}</td><td>${a.fineTotal}</td></tr>`,
          )}</tbody></table></div>
        ${weeklyTicketsTable(l, report.tickets)}`),
    );
  };

  r.get('/reports', render(false));
  r.get('/reports/print', render(true));

  r.get('/reports/weekly.csv', async (req, res) => {
    const l = viewerOf(res).lang;
    const report = await weeklyReport(reportDeps, weekOf(req.query));
    const rows: unknown[][] = [
      [t(l, 'week'), report.week, report.from, report.to, tz],
      [t(l, 'offered'), report.calls.offered, `${t(l, 'answerRate')} (%)`, percentFigure(report.calls.answerRate), `${t(l, 'serviceLevel')} (%)`, percentFigure(report.calls.serviceLevel)],
      [],
      // Rates as percentages with one decimal, seconds with one, ratings with two (src/domain/report-rounding.ts).
      ['date', t(l, 'offered'), t(l, 'answered'), t(l, 'missed'), t(l, 'abandoned'), `${t(l, 'answerRate')} (%)`, `${t(l, 'serviceLevel')} (%)`],
      ...report.days.map((x) => [x.date, x.offered, x.answered, x.missed, x.abandoned, percentFigure(answerRate(x.answered, x.offered)), percentFigure(x.serviceLevel)]),
      [],
      ['agent', t(l, 'offers'), t(l, 'accepted'), `${t(l, 'acceptRate')} (%)`, `${t(l, 'speedOfAnswer')} (s)`, t(l, 'averageRating'), t(l, 'callbacksOnTime'), t(l, 'callbacksLate'), t(l, 'fines')],
      ...report.agents.map((a) => [a.name ?? a.agentId, a.offers, a.accepted, percentFigure(a.acceptRate), roundTo(a.averageSpeedOfAnswerSeconds, 1), roundTo(a.averageRating, 2), a.callbacksOnTime, a.callbacksLate, a.fineTotal]),
    ];
    // A byte-order mark so spreadsheet programs read the Mandarin headings as UTF-8.
    const body = '\uFEFF' + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
    res.type('text/csv; charset=utf-8').attachment(`threering-weekly-${report.week}.csv`).send(body);
  });

  return r;
}
