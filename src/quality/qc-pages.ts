import express, { Router, type RequestHandler } from 'express';
import { playerSrc } from '../recordings/recording-section';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { ConsoleDeps } from '../console/console-deps';
import { html } from '../console/html';
import type { Lang } from '../console/i18n';
import { csrfField, localTime, page, secondsText } from '../console/layout';
import { viewerOf } from '../console/session';
import { mayInspect, type GivenItem } from '../domain/quality-inspection';
import { ForbiddenError } from '../errors';
import { parseInput } from '../validation';
import { requireQc } from './qc-feature';

const LABELS = {
  qc: ['质检', 'Quality inspection'],
  queue: ['待质检通话', 'Calls to inspect'],
  queueNote: ['每位坐席每个已结束的周抽取 {n} 通已接来电，评分后移出队列。', '{n} answered calls drawn per agent from each finished week; a call leaves the queue once scored.'],
  emptyQueue: ['队列为空', 'Nothing to inspect'],
  week: ['周', 'Week'],
  agent: ['坐席', 'Agent'],
  startedAt: ['来电时间', 'Call time'],
  wait: ['等待', 'Wait'],
  talk: ['通话时长', 'Talk'],
  review: ['评分', 'Review'],
  reviewsOfMonth: ['本月质检结果', "This month's reviews"],
  noReviews: ['本月暂无质检', 'No review this month'],
  score: ['得分', 'Score'],
  reviewedBy: ['质检员', 'Inspector'],
  reviewed: ['已保存质检结果', 'Review saved'],
  recording: ['通话录音', 'Recording'],
  checklist: ['质检项目', 'Checklist'],
  item: ['项目', 'Item'],
  points: ['分值', 'Points'],
  note: ['备注', 'Note'],
  fromRecord: ['据通话记录自动评定', 'From the call record'],
  save: ['提交评分', 'Save review'],
  endedBy: ['挂断方', 'Ended by'],
  alreadyReviewed: ['该通话已于 {at} 由 {by} 完成质检，得分 {score}。', 'Reviewed by {by} at {at}: {score}.'],
  filter: ['筛选', 'Filter'],
  allAgents: ['全部坐席', 'All agents'],
} as const;
const q = (lang: Lang, key: keyof typeof LABELS, vars: Record<string, string | number> = {}) =>
  LABELS[key][lang === 'zh' ? 0 : 1].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));

const idParam = z.object({ id: z.string().uuid('must be a call id') });
const agentFilter = z.object({ agentId: z.preprocess((v) => (v === '' ? undefined : v), z.string().uuid('must be an agent id').optional()) });

/** Admins, supervisors and inspectors (role qc); a viewer sees no QC page. */
const requireInspector: RequestHandler = (_req, res, next) => {
  const role = viewerOf(res).account.role;
  if (!mayInspect(role)) return next(new ForbiddenError(`your role (${role}) may not inspect calls`));
  next();
};

/** Form fields `score.<item id>` and `note.<item id>` as the API's items. */
export function givenFromForm(body: Record<string, unknown>): GivenItem[] {
  const out: GivenItem[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (!key.startsWith('score.') || typeof value !== 'string' || value.trim() === '') continue;
    const id = key.slice('score.'.length);
    const note = body[`note.${id}`];
    out.push({ id, score: Number(value), note: typeof note === 'string' ? note.slice(0, 1000) : undefined });
  }
  return out;
}

/** The QC queue (/console/qc) and the review page with the player beside the form (/console/qc/calls/:id). */
export function qcPages(d: ConsoleDeps): Router {
  const r = Router();
  const tz = d.timeZone;
  const form = express.urlencoded({ extended: false, limit: '20kb' });

  r.get('/qc', requireInspector, async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const qc = requireQc(d.c);
    const { agentId } = parseInput(agentFilter, req.query);
    const roster = await d.c.agents.list({ includeInactive: true });
    const names = new Map(roster.map((a) => [a.id, a.name]));
    const queue = await qc.queue(agentId);
    const month = DateTime.fromJSDate(d.c.clock.now(), { zone: tz }).startOf('month');
    const reviews = await qc.reviews(month.toJSDate(), month.plus({ months: 1 }).toJSDate(), agentId);
    res.type('html').send(
      page(v, { title: q(l, 'qc'), active: 'qc', notice: req.query.reviewed ? q(l, 'reviewed') : undefined }, html`
        <form class="filters card" method="get" action="/console/qc"><label>${q(l, 'agent')}<select name="agentId"><option value="">${q(l, 'allAgents')}</option>${roster.map(
          (a) => html`<option value="${a.id}" ${a.id === agentId ? html`selected` : ''}>${a.name}</option>`,
        )}</select></label><button type="submit">${q(l, 'filter')}</button></form>
        <section class="card"><h2>${q(l, 'queue')}</h2><p class="muted">${q(l, 'queueNote', { n: d.c.config.QC_SAMPLE_PER_WEEK })}</p>
        ${queue.length === 0
          ? html`<p class="muted" data-empty-queue>${q(l, 'emptyQueue')}</p>`
          : html`<div class="scroll"><table><thead><tr><th>${q(l, 'week')}</th><th>${q(l, 'agent')}</th><th>${q(l, 'startedAt')}</th><th>${q(l, 'wait')}</th><th>${q(l, 'talk')}</th><th></th></tr></thead><tbody>
            ${queue.map(
              (x) => html`<tr data-queued="${x.call.id}"><td>${x.week}</td><td>${names.get(x.call.agentId) ?? '—'}</td><td>${localTime(x.call.startedAt, tz, 'MM-dd HH:mm')}</td>
                <td>${secondsText(x.call.waitSeconds)}</td><td>${secondsText(x.call.talkSeconds)}</td><td><a href="/console/qc/calls/${x.call.id}">${q(l, 'review')}</a></td></tr>`,
            )}</tbody></table></div>`}</section>
        <section class="card"><h2>${q(l, 'reviewsOfMonth')} · ${month.toFormat('yyyy-MM')}</h2>
        ${reviews.length === 0
          ? html`<p class="muted">${q(l, 'noReviews')}</p>`
          : html`<div class="scroll"><table><thead><tr><th>${q(l, 'startedAt')}</th><th>${q(l, 'agent')}</th><th>${q(l, 'score')}</th><th>${q(l, 'reviewedBy')}</th></tr></thead><tbody>
            ${reviews.map(
              (x) => html`<tr data-review="${x.callId}"><td><a href="/console/qc/calls/${x.callId}">${localTime(x.callStartedAt, tz, 'MM-dd HH:mm')}</a></td><td>${names.get(x.agentId) ?? '—'}</td>
                <td data-score>${x.score}</td><td>${x.reviewedBy}</td></tr>`,
            )}</tbody></table></div>`}</section>`),
    );
  });

  r.get('/qc/calls/:id', requireInspector, async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { id } = parseInput(idParam, req.params);
    const { call, checklist, answers, review } = await requireQc(d.c).forReview(id);
    const agent = (await d.c.agents.list({ includeInactive: true })).find((a) => a.id === call.agentId);
    // preload="none": opening the page fetches nothing; only pressing play is a listen.
    const player = html`<section class="card qc-player"><h2>${q(l, 'recording')}</h2>
      <audio controls preload="none" src="${playerSrc(d.c, v, call.id)}" data-recording></audio>
      <dl class="qc-facts"><dt>${q(l, 'agent')}</dt><dd>${agent?.name ?? '—'}</dd><dt>${q(l, 'startedAt')}</dt><dd>${localTime(call.startedAt, tz)}</dd>
        <dt>${q(l, 'wait')}</dt><dd>${secondsText(call.waitSeconds)}</dd><dt>${q(l, 'talk')}</dt><dd>${secondsText(call.talkSeconds)}</dd><dt>${q(l, 'endedBy')}</dt><dd>${call.endedBy ?? '—'}</dd></dl></section>`;
    const body = review
      ? html`<section class="card qc-form"><h2>${q(l, 'checklist')}</h2><p data-reviewed>${q(l, 'alreadyReviewed', { by: review.reviewedBy, at: localTime(review.reviewedAt, tz), score: review.score })}</p>
          <div class="scroll"><table><thead><tr><th>${q(l, 'item')}</th><th>${q(l, 'score')}</th><th>${q(l, 'note')}</th></tr></thead><tbody>
          ${review.items.map((i) => html`<tr data-item="${i.id}"><td class="wrap">${i.label}</td><td>${i.score} / ${i.points}</td><td class="wrap">${i.note ?? ''}</td></tr>`)}</tbody></table></div></section>`
      : html`<form class="card qc-form" method="post" action="/console/qc/calls/${call.id}">${csrfField(v)}<h2>${q(l, 'checklist')}</h2>
          ${checklist.map((item) => {
            const auto = answers.get(item.id);
            if (auto && auto.score !== null) {
              return html`<fieldset class="qc-item" data-item="${item.id}" data-source="record"><legend>${item.label}</legend>
                <p><b data-auto-score>${auto.score} / ${item.points}</b> · <span class="muted">${q(l, 'fromRecord')}: ${auto.note}</span></p></fieldset>`;
            }
            return html`<fieldset class="qc-item" data-item="${item.id}" data-source="inspector"><legend>${item.label}</legend>
              ${auto ? html`<p class="muted">${auto.note}</p>` : ''}
              <label>${q(l, 'score')} (0–${item.points})<input type="number" name="score.${item.id}" min="0" max="${item.points}" step="1" required inputmode="numeric"></label>
              <label>${q(l, 'note')}<input name="note.${item.id}" maxlength="1000"></label></fieldset>`;
          })}
          <button type="submit">${q(l, 'save')}</button></form>`;
    res.type('html').send(page(v, { title: `${q(l, 'review')} · ${agent?.name ?? ''}`, active: 'qc' }, html`<div class="qc-review">${player}${body}</div>`));
  });

  r.post('/qc/calls/:id', requireInspector, form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const review = await requireQc(d.c).review(id, givenFromForm(req.body as Record<string, unknown>), v.actor);
    await d.audit.record({ actor: v.actor, action: 'qc.review', target: id, detail: { agentId: review.agentId, score: review.score }, at: d.c.clock.now() });
    res.redirect(303, `/console/qc?reviewed=${id}`);
  });

  return r;
}
