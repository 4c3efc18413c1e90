import path from 'node:path';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Container, Feature } from '../container';
import { AppError, requestErrorOf } from '../errors';
import { PostgresAccountStore } from '../postgres/account-store';
import { PostgresApiTokenStore } from '../postgres/api-token-store';
import { PostgresAuditStore } from '../postgres/audit-store';
import { CallNotesStore } from '../postgres/call-notes-store';
import { PostgresConsoleStore } from '../postgres/console-store';
import { CustomerStore } from '../postgres/customer-store';
import { AccountService } from './account-service';
import { adminPages } from './admin-pages';
import { agentsPages } from './agents-pages';
import { callbacksPages } from './callbacks-pages';
import { callsPages } from './calls-pages';
import { callbacksOf, type ConsoleDeps } from './console-deps';
import { html } from './html';
import { langOf, t } from './i18n';
import { page } from './layout';
import { LiveFeed } from './live-feed';
import { complaintsPages } from './complaints-pages';
import { monthlyPages } from './monthly-pages';
import { notesPages } from './notes-pages';
import { reportsPages } from './reports-pages';
import { checkCsrf, cookiesOf, requireSession, viewerOf } from './session';
import { signInRoutes, signOutRoute } from './sign-in-routes';
import { todayContent, todaySnapshot } from './today';
import { tokensPages } from './tokens-pages';
import { recordingPages } from '../recordings/recording-pages';
import { qcPages } from '../quality/qc-pages';
import { holidaysPages } from '../holidays/holidays-pages';
import { ticketConsolePages } from './tickets-pages';
import { notifyPages } from '../notify/notify-pages';
import { ApiBridge } from './api-bridge';

export interface ConsoleFeature extends Feature {
  accounts: AccountService;
  audit: PostgresAuditStore;
}

const ASSETS = path.join(__dirname, 'assets');
const ECHARTS = require.resolve('echarts/dist/echarts.min.js');
const favicon: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'public, max-age=86400').type('image/svg+xml').sendFile(path.join(ASSETS, 'favicon.svg'));
};

/** Pages hold callers' numbers: no caching, no framing, scripts only from this server. */
const consoleHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; media-src *; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  });
  next();
};

/**
 * The admins' console at /console/: personal accounts with server-side sessions, the Today page
 * with its live stream, calls, callbacks and fines, the roster, reports with charts, API tokens.
 */
export function consoleFeature(c: Container): ConsoleFeature {
  const accounts = new PostgresAccountStore(c.db);
  const audit = new PostgresAuditStore(c.db);
  const accountService = new AccountService({ accounts, clock: c.clock, sessionHours: c.config.CONSOLE_SESSION_HOURS });
  const d: ConsoleDeps = {
    c,
    store: new PostgresConsoleStore(c.db),
    audit,
    accounts,
    accountService,
    tokens: new PostgresApiTokenStore(c.db),
    notes: new CallNotesStore(c.db, c.notesWritten),
    customers: new CustomerStore(c.db),
    timeZone: c.config.TIME_ZONE,
  };
  const snapshot = () => todaySnapshot({ c, store: d.store, audit, callbacks: () => c.features.some((f) => f.name === 'callbacks') ? callbacksOf(c) : undefined });
  // A tick, not a call-ended listener: listeners are now durable outbox effects, and a screen
  // refresh is not worth a row per call. It runs only while a Today page is open.
  const live = new LiveFeed({ snapshot, sessions: (hashes) => accounts.liveSessions(hashes, c.clock.now()), timeZone: d.timeZone, tickSeconds: c.config.CONSOLE_LIVE_SECONDS, logger: c.logger });
  const cookies = { secure: c.config.NODE_ENV === 'production' };
  const signIn = { service: accountService, accounts, audit, clock: c.clock, timeZone: d.timeZone, cookies, sessionHours: c.config.CONSOLE_SESSION_HOURS };

  const errors: ErrorRequestHandler = (err, req, res, _next) => {
    const lang = langOf(cookiesOf(req).lang);
    const refused = requestErrorOf(err);
    const status = refused ? refused.status : 500;
    if (status === 500) c.logger.error('console request failed', { path: req.route?.path ?? req.path, err });
    const heading = { 400: t(lang, 'badRequest'), 403: t(lang, 'forbidden'), 404: t(lang, 'notFound'), 409: t(lang, 'conflict') }[status] ?? `${status}`;
    const message = refused ? refused.message : 'internal error';
    const viewer = res.locals.viewer ? viewerOf(res) : null;
    // Back to the page the form was on, when it was one of ours.
    const referer = req.header('Referer');
    const from = referer && URL.canParse(referer, 'http://console.invalid') ? new URL(referer, 'http://console.invalid') : null;
    const back = from && from.pathname.startsWith('/console/') ? from.pathname + from.search : '/console/';
    res.status(status).type('html').send(page(viewer, { title: heading, lang }, html`<p class="error" role="alert" data-status="${String(status)}">${message}</p><p><a href="${back}">←</a></p>`));
  };

  const router = Router();
  router.use(consoleHeaders);
  router.get('/assets/console.css', (_req, res) => res.sendFile(path.join(ASSETS, 'console.css')));
  router.get('/assets/console.js', (_req, res) => res.sendFile(path.join(ASSETS, 'console.js')));
  router.get('/assets/favicon.svg', favicon);
  router.get('/assets/echarts.min.js', (_req, res) => res.set('Cache-Control', 'public, max-age=86400').sendFile(ECHARTS));
  router.use(signInRoutes(signIn));
  router.use(requireSession(accounts, c.clock));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Forms are parsed before the CSRF check, which reads the token from the body.
  router.use(express.urlencoded({ extended: false, limit: '20kb' }));
  router.use(checkCsrf);
  router.use(signOutRoute(signIn));
  router.get('/', async (_req, res) => {
    const v = viewerOf(res);
    res.type('html').send(page(v, { title: t(v.lang, 'today'), active: 'today' }, todayContent(await snapshot(), v, d.timeZone)));
  });
  router.get('/events', (req, res) => live.subscribe(req, res, viewerOf(res)));
  router.use(callsPages(d));
  router.use(callbacksPages(d));
  router.use(agentsPages(d));
  router.use(reportsPages(d));
  router.use(tokensPages(d));
  router.use(adminPages(d));
  router.use(qcPages(d));
  router.use(complaintsPages(d));
  router.use(monthlyPages(d));
  router.use(notesPages(d));
  router.use(recordingPages(d));
  router.use(holidaysPages(d));
  router.use(ticketConsolePages(d));
  router.use(notifyPages(d, new ApiBridge(c)));
  router.use((req, _res, next) => next(new AppError(404, 'not_found', `no page ${req.path}`)));
  router.use(errors);

  return {
    name: 'console',
    accounts: accountService,
    audit,
    publicRoutes(r) {
      // Browsers ask for /favicon.ico whatever the page links: the same small SVG.
      r.get('/favicon.ico', favicon);
      r.use('/console', router);
    },
    start: () => live.start(),
    stop: () => live.stop(),
  };
}
