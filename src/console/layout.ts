import { DateTime } from 'luxon';
import { can } from '../domain/console-roles';
import { maskPhone } from '../domain/endpoint';
import { mayInspect } from '../domain/quality-inspection';
import { html, SafeHtml } from './html';
import { t, type Lang } from './i18n';
import type { Viewer } from './session';

const NAV = [
  ['today', '/console/'],
  ['calls', '/console/calls'],
  ['callbacks', '/console/callbacks'],
  ['fines', '/console/fines'],
  ['agents', '/console/agents'],
  ['reports', '/console/reports'],
  ['tokens', '/console/tokens'],
  ['roster', '/console/roster'],
  ['leave', '/console/leave'],
  ['hotlines', '/console/hotlines'],
  ['blocklist', '/console/blocklist'],
  ['customers', '/console/customers'],
  ['audit', '/console/audit'],
  ['account', '/console/account'],
  ['complaints', '/console/complaints'],
  ['monthly', '/console/monthly'],
  ['unfinishedNotes', '/console/notes'],
  ['holidays', '/console/holidays'],
  ['tickets', '/console/tickets'],
] as const;

export interface PageOptions {
  title: string;
  active?: (typeof NAV)[number][0] | 'accounts' | 'qc' | 'notify';
  /** Loads ECharts (served from node_modules, never a CDN). */
  charts?: boolean;
  notice?: string;
  bodyClass?: string;
  /** The language of a page shown before signing in (the `lang` cookie); a signed-in viewer's own otherwise. */
  lang?: Lang;
}

/** The page shell: navigation, the language switch, sign-out; content goes in <main>. */
export function page(v: Viewer | null, o: PageOptions, content: SafeHtml): string {
  const lang = v?.lang ?? o.lang ?? 'zh';
  const nav = v
    ? html`<nav aria-label="main">${NAV.map(([key, href]) => html`<a href="${href}" class="${o.active === key ? 'on' : ''}">${t(lang, key)}</a>`)}${
        mayInspect(v.account.role) ? html`<a href="/console/qc" class="${o.active === 'qc' ? 'on' : ''}">${t(lang, 'qc')}</a>` : ''
      }${
        can(v.account.role, 'manage-accounts') ? html`<a href="/console/accounts" class="${o.active === 'accounts' ? 'on' : ''}">${t(lang, 'accounts')}</a>` : ''
      }${
        v.account.role === 'admin' ? html`<a href="/console/notify" class="${o.active === 'notify' ? 'on' : ''}">${t(lang, 'notify')}</a>` : ''
      }</nav>
      <div class="me"><span class="who">${v.account.username} · ${t(lang, `role_${v.account.role}`)}</span>
        <a href="/console/lang?to=${lang === 'zh' ? 'en' : 'zh'}">${t(lang, 'switchLang')}</a>
        <form method="post" action="/console/sign-out">${csrfField(v)}<button type="submit" class="link">${t(lang, 'signOut')}</button></form></div>`
    : html`<div class="me"><a href="/console/lang?to=${lang === 'zh' ? 'en' : 'zh'}">${t(lang, 'switchLang')}</a></div>`;
  return html`<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · ThreeRing</title><link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/console/assets/console.css"></head>
<body class="${o.bodyClass ?? ''}"><header class="top"><a class="brand" href="/console/">ThreeRing</a>${nav}</header>
<main><h1>${o.title}</h1>${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}${content}</main>
${o.charts ? html`<script src="/console/assets/echarts.min.js"></script>` : ''}<script src="/console/assets/console.js"></script></body></html>`.value;
}

export const csrfField = (v: Viewer) => html`<input type="hidden" name="_csrf" value="${v.csrfToken}">`;

/** A caller's number as this viewer may see it (R12): in full for admins and supervisors, masked for viewers. */
export const shownNumber = (v: Viewer, phone: string | null | undefined) => (can(v.account.role, 'see-full-numbers') ? (phone ?? '') : maskPhone(phone));

export function localTime(d: Date | null | undefined, timeZone: string, format = 'yyyy-MM-dd HH:mm:ss'): string {
  return d ? DateTime.fromJSDate(d, { zone: timeZone }).toFormat(format) : '';
}

export const percent = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
export const secondsText = (s: number | null | undefined) => (s === null || s === undefined ? '—' : `${Math.round(s * 10) / 10} s`);

export const label = (lang: Lang, prefix: string, value: string | null | undefined) => (value ? t(lang, `${prefix}_${value}`) : '');
