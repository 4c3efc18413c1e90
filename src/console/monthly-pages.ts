import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { GRADE_PARTS, type GradePart, type GradeRule } from '../domain/agent-grade';
import { gradeBreakdown } from '../domain/grade-breakdown';
import { NotFoundError } from '../errors';
import { monthlyReport, type MonthlyReport } from '../reports/monthly-report';
import { parseInput } from '../validation';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t, type Lang } from './i18n';
import { page, percent } from './layout';
import { viewerOf } from './session';

const monthQuery = z.object({ month: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM, e.g. 2026-11').optional()) });
const agentParam = z.object({ agentId: z.string().uuid('must be an agent id') });
type AgentRow = MonthlyReport['agents'][number];


/** The five parts' rates of an agent's month, as the grade reads them (the rating's 1-5 as 0..1). */
const ratesOf = (a: AgentRow): Record<GradePart, number | null> => ({
  accept: a.acceptRate,
  withinRule: a.withinRuleRate,
  callbacks: a.returnVisitRate,
  complaints: a.resolutionRate,
  rating: a.averageRating === null ? null : (a.averageRating - 1) / 4,
  quality: a.quality,
});

/** Each part's figures in words: what was counted, over what. */
function partFigures(l: Lang, a: AgentRow): Record<GradePart, string> {
  return {
    accept: t(l, 'fig_accept', { n: a.accepted, of: a.offers }),
    withinRule: t(l, 'fig_withinRule', { n: a.answeredWithinRule, of: a.answered }),
    callbacks: t(l, 'fig_callbacks', { n: a.callbacksOnTime, of: a.callbacksOnTime + a.callbacksLate }),
    complaints: t(l, 'fig_complaints', { n: a.complaintsResolved, of: a.complaintCases, w: a.complaintWeight }),
    rating: a.averageRating === null ? t(l, 'fig_noRating') : t(l, 'fig_rating', { avg: a.averageRating.toFixed(2), n: a.ratings }),
    quality: a.qcReviews === 0 ? t(l, 'fig_noQuality') : t(l, 'fig_quality', { n: a.qcReviews }),
  };
}

/** The rule in force: each part's weight, the grade thresholds, the points a fine costs (GRADE_* settings). */
function ruleCard(l: Lang, rule: GradeRule) {
  const [a, b, c, d] = rule.thresholds;
  return html`<section class="card" data-grade-rule><h2>${t(l, 'gradeRule')}</h2>
    <dl class="parts">${(Object.keys(rule.weights) as GradePart[]).map((p) => html`<dt>${t(l, `part_${p}`)}</dt><dd data-weight="${p}">${rule.weights[p]}</dd>`)}
      <dt>${t(l, 'gradeThresholds')}</dt><dd>A ≥ ${a} · B ≥ ${b} · C ≥ ${c} · D ≥ ${d} · E</dd>
      <dt>${t(l, 'finePoints')}</dt><dd>−${rule.finePoints}</dd></dl>
    <p class="muted">${t(l, 'gradeRuleNote')}</p></section>`;
}

/**
 * The monthly evaluation (R8), from GET /api/reports/monthly's own report: the hotline's rates,
 * each agent's score and grade with the parts that make it, the rule in force, and a page per
 * agent showing how their score was made up.
 */
export function monthlyPages(d: ConsoleDeps): Router {
  const r = Router();
  const report = monthlyReport(d.c);
  const monthLinks = (l: Lang, m: MonthlyReport, base: string) => {
    const start = DateTime.fromFormat(m.month, 'yyyy-MM');
    const prev = start.minus({ months: 1 }).toFormat('yyyy-MM');
    const next = start.plus({ months: 1 }).toFormat('yyyy-MM');
    return html`<form class="filters card" method="get" action="${base}"><label>${t(l, 'month')}<input type="month" name="month" value="${m.month}"></label>
      <button type="submit">${t(l, 'filter')}</button><a href="${base}?month=${prev}">← ${prev}</a>${m.complete ? html`<a href="${base}?month=${next}">${next} →</a>` : ''}</form>
      ${m.complete ? '' : html`<p class="notice" data-incomplete>${t(l, 'monthIncomplete')}</p>`}`;
  };

  r.get('/monthly', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { month } = parseInput(monthQuery, req.query);
    const m = await report(month);
    const h = m.hotline;
    const tile = (k: string, text: string, value: string) => html`<div class="tile" data-tile="${k}" data-value="${value}"><div class="k">${text}</div><div class="v">${value}</div></div>`;
    res.type('html').send(
      page(v, { title: `${t(l, 'monthly')} · ${m.month}`, active: 'monthly' }, html`${monthLinks(l, m, '/console/monthly')}
        <section class="tiles">${tile('answerRate', t(l, 'answerRate'), percent(h.answerRate))}${tile('resolutionRate', t(l, 'resolutionRate'), percent(h.resolutionRate))}
          ${tile('callbackRate', t(l, 'callbackRate'), percent(h.callbackRate))}${tile('offered', t(l, 'offered'), String(h.offered))}${tile('complaintCases', t(l, 'complaints'), String(h.complaintCases))}</section>
        <h2>${t(l, 'grades')}</h2>
        <div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'agent')}</th><th>${t(l, 'grade')}</th><th>${t(l, 'score')}</th>
          ${GRADE_PARTS.map((p) => html`<th>${t(l, `part_${p}`)}</th>`)}<th>${t(l, 'fines')}</th></tr></thead><tbody>
          ${m.agents.map((a) => {
            const rates = ratesOf(a);
            return html`<tr data-agent="${a.agentId}"><td data-label="${t(l, 'agent')}"><a href="/console/monthly/${a.agentId}?month=${m.month}">${a.name ?? a.agentId}</a></td>
              <td data-label="${t(l, 'grade')}" data-grade="${a.grade ?? ''}"><b>${a.grade ?? '—'}</b></td><td data-label="${t(l, 'score')}" data-score="${a.score ?? ''}">${a.score ?? '—'}</td>
              ${GRADE_PARTS.map((p) => html`<td data-label="${t(l, `part_${p}`)}">${percent(rates[p])}</td>`)}
              <td data-label="${t(l, 'fines')}">${a.fines}</td></tr>`;
          })}</tbody></table></div>
        ${ruleCard(l, m.gradeRule)}`),
    );
  });

  r.get('/monthly/:agentId', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { agentId } = parseInput(agentParam, req.params);
    const { month } = parseInput(monthQuery, req.query);
    const m = await report(month);
    const a = m.agents.find((x) => x.agentId === agentId);
    if (!a) throw new NotFoundError(`agent ${agentId} has no figures in ${m.month}`);
    const b = gradeBreakdown(ratesOf(a), a.fines, m.gradeRule);
    const figures = partFigures(l, a);
    const from = DateTime.fromISO(m.from, { zone: m.timeZone }).toISODate();
    const to = DateTime.fromISO(m.to, { zone: m.timeZone }).minus({ days: 1 }).toISODate();
    res.type('html').send(
      page(v, { title: `${a.name ?? a.agentId} · ${t(l, 'monthly')} · ${m.month}`, active: 'monthly' }, html`${monthLinks(l, m, `/console/monthly/${agentId}`)}
        <p><a href="/console/monthly?month=${m.month}">← ${t(l, 'monthly')}</a></p>
        <section class="tiles"><div class="tile" data-tile="grade"><div class="k">${t(l, 'grade')}</div><div class="v">${a.grade ?? '—'}</div></div>
          <div class="tile" data-tile="score"><div class="k">${t(l, 'score')}</div><div class="v">${a.score ?? '—'}</div></div></section>
        <div class="scroll"><table class="cards" data-breakdown><thead><tr><th>${t(l, 'part')}</th><th>${t(l, 'counted')}</th><th>${t(l, 'rate')}</th><th>${t(l, 'weight')}</th><th>${t(l, 'points')}</th></tr></thead><tbody>
          ${b.parts.map(
            (p) => html`<tr data-part="${p.part}" class="${p.rate === null ? 'muted' : ''}"><td data-label="${t(l, 'part')}">${t(l, `part_${p.part}`)}</td><td data-label="${t(l, 'counted')}">${figures[p.part]}</td>
              <td data-label="${t(l, 'rate')}">${p.rate === null ? t(l, 'leftOut') : percent(p.rate)}</td><td data-label="${t(l, 'weight')}">${p.weight}${p.share > 0 ? html` <span class="muted">(${percent(p.share)})</span>` : ''}</td>
              <td data-label="${t(l, 'points')}" data-points="${p.points.toFixed(1)}">${p.rate === null ? '—' : p.points.toFixed(1)}</td></tr>`,
          )}
          <tr data-part="fines"><td data-label="${t(l, 'part')}">${t(l, 'fines')}</td><td data-label="${t(l, 'counted')}">${t(l, 'fig_fines', { n: a.fines, amount: a.fineTotal })}</td><td></td><td></td>
            <td data-label="${t(l, 'points')}" data-points="${(-b.fineDeduction).toFixed(1)}">−${b.fineDeduction.toFixed(1)}</td></tr>
        </tbody></table></div>
        <p class="muted">${t(l, 'scoreSum', { before: b.beforeFines === null ? '—' : b.beforeFines.toFixed(1), fines: b.fineDeduction.toFixed(1), score: a.score ?? '—' })}</p>
        <p><a href="/console/calls?agent=${agentId}&from=${from ?? ''}&to=${to ?? ''}">${t(l, 'agentCallsOfMonth')}</a> · <a href="/console/fines?month=${m.month}">${t(l, 'fines')}</a></p>
        ${ruleCard(l, m.gradeRule)}`),
    );
  });

  return r;
}
