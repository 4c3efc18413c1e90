import { Router } from 'express';
import { parseInput } from '../validation';
import type { Hotline } from '../postgres/roster-store';
import type { Agent } from '../domain/ports';
import type { ApiBridge } from './api-bridge';
import type { ConsoleDeps } from './console-deps';
import { html, type SafeHtml } from './html';
import { t } from './i18n';
import { csrfField, page } from './layout';
import { formBody, idParam, nameOf } from './page-kit';
import { requirePermission, viewerOf, type Viewer } from './session';

const LANGUAGES = ['zh-CN', 'en-US'] as const;

/** A hotline form as the API's JSON: an empty language or greeting is "the server's default" (null). */
function hotlineInput(body: Record<string, unknown>) {
  const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  const list = (k: string) => (body[k] === undefined ? [] : Array.isArray(body[k]) ? body[k] : [body[k]]);
  return { number: text('number').trim(), name: text('name').trim(), language: text('language') || null, greeting: text('greeting').trim() || null, agentIds: list('agentIds'), standbyAgentIds: list('standbyAgentIds') };
}

/** Hotline numbers, the group of agents each rings, and its greeting and language. */
export function hotlinePages(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();

  const fields = (v: Viewer, agents: Agent[], h: Hotline | null): SafeHtml => {
    const l = v.lang;
    return html`<label>${t(l, 'hotlineNumber')}<input name="number" required value="${h?.number ?? ''}" placeholder="+864008001234" inputmode="tel"></label>
      <label>${t(l, 'name')}<input name="name" required maxlength="100" value="${h?.name ?? ''}"></label>
      <label>${t(l, 'language')}<select name="language"><option value="">${t(l, 'serverDefault')}</option>${LANGUAGES.map((x) => html`<option value="${x}" ${h?.language === x ? html`selected` : ''}>${t(l, `lang_${x}`)}</option>`)}</select></label>
      <label>${t(l, 'greeting')}<textarea name="greeting" rows="2" maxlength="500" placeholder="${t(l, 'greetingHelp')}">${h?.greeting ?? ''}</textarea></label>
      <fieldset class="members"><legend>${t(l, 'groupMembers')}</legend>${agents.map(
        (a) => html`<label class="check"><input type="checkbox" name="agentIds" value="${a.id}" ${h?.agentIds.includes(a.id) ? html`checked` : ''}> ${a.name}</label>`,
      )}</fieldset>
      <fieldset class="members" data-standby><legend>${t(l, 'standby')}</legend><p class="muted">${t(l, 'standbyHelp')}</p>${agents.map(
        (a) => html`<label class="check"><input type="checkbox" name="standbyAgentIds" value="${a.id}" ${h?.standbyAgentIds.includes(a.id) ? html`checked` : ''}> ${a.name}</label>`,
      )}</fieldset>`;
  };

  r.get('/hotlines', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const hotlines = await d.c.rosterStore.listHotlines();
    const all = await d.c.agents.list({ includeInactive: true });
    const active = all.filter((a) => a.active);
    const name = nameOf(all);
    const canChange = v.account.role !== 'viewer';
    res.type('html').send(
      page(v, { title: t(l, 'hotlines'), active: 'hotlines', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        ${hotlines.length === 0 ? html`<p class="muted">${t(l, 'noHotlines')}</p>` : ''}
        ${hotlines.map(
          (h) => html`<section class="card" data-hotline="${h.id}"><h2>${h.name} · ${h.number}</h2>
            <p>${t(l, 'language')}: ${h.language ? t(l, `lang_${h.language}`) : t(l, 'serverDefault')} · ${t(l, 'greeting')}: ${h.greeting ?? t(l, 'serverDefault')}</p>
            <p>${t(l, 'groupMembers')}: ${h.agentIds.length ? h.agentIds.map(name).join('、') : t(l, 'everyAgent')}</p>
            <p>${t(l, 'standby')}: ${h.standbyAgentIds.length ? h.standbyAgentIds.map(name).join('、') : t(l, 'none')}</p>
            ${canChange ? html`<details><summary>${t(l, 'edit')}</summary><form method="post" action="/console/hotlines/${h.id}" class="stack">${csrfField(v)}${fields(v, active, h)}<button type="submit">${t(l, 'save')}</button></form></details>` : ''}</section>`,
        )}
        ${canChange ? html`<section class="card"><h2>${t(l, 'addHotline')}</h2><form method="post" action="/console/hotlines" class="stack">${csrfField(v)}${fields(v, active, null)}<button type="submit">${t(l, 'add')}</button></form></section>` : ''}`),
    );
  });

  r.post('/hotlines', requirePermission('change'), formBody, async (req, res) => {
    await api.run(req, res, viewerOf(res), 'POST', '/hotlines', hotlineInput(req.body as Record<string, unknown>));
    res.redirect(303, '/console/hotlines?done=1');
  });

  r.post('/hotlines/:id', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    await api.run(req, res, viewerOf(res), 'PATCH', `/hotlines/${id}`, hotlineInput(req.body as Record<string, unknown>));
    res.redirect(303, '/console/hotlines?done=1');
  });

  return r;
}
