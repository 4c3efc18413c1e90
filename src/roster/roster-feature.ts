import { DateTime } from 'luxon';
import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import { PostgresAuditStore } from '../postgres/audit-store';
import { rosterRoutes, rosterView } from './roster-routes';
import { smsIncoming } from './sms-webhook';

const LOOP_SECONDS = 60;
const ALERT_AHEAD_MS = 24 * 3600_000;

export interface RosterFeature extends Feature {
  /** One pass of the background work (tests call it directly): auto-resume, leave hand-overs, gap alerts. */
  tick(): Promise<void>;
}

/** The roster's API, the agents' SMS webhook, and its minute loop. */
export function rosterFeature(c: Container): RosterFeature {
  const rules = { timeZone: c.config.TIME_ZONE, holidays: c.config.HOLIDAYS, calendar: c.calendar };
  const deps = { store: c.rosterStore, agents: c.agents, rules };

  /** Texts the admins once about each coverage gap that starts within the next day. */
  const alertGaps = async (now: Date) => {
    if (!(await c.notifier.hasAdminAlerts())) return;
    const { gaps } = await rosterView(deps, now, new Date(now.getTime() + ALERT_AHEAD_MS));
    const fresh: string[] = [];
    // A gap already under way (its start clamped to now) was announced before it began, or cannot be helped now.
    for (const g of gaps.filter((x) => x.start !== now.toISOString())) {
      const rows = await c.db.query('INSERT INTO roster_gap_alerts (gap_start, sent_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING gap_start', [g.start, now]);
      const fmt = (v: string | null) => DateTime.fromISO(v!, { zone: rules.timeZone }).toFormat('MM-dd HH:mm');
      if (rows.length > 0) fresh.push(`${fmt(g.start)}–${fmt(g.end)}`);
    }
    if (fresh.length === 0) return;
    await c.notifier.toAdmins('roster-gap', c.roster.texts.gapAlert(fresh), { onError: (_phone, err) => c.logger.warn('roster gap alert failed', { err }) }).catch((err: unknown) => c.logger.warn('roster gap alert failed', { err }));
  };

  const tick = async () => {
    const now = c.clock.now();
    await c.roster.resumeAutoPaused(now);
    await c.roster.moveCallbacksOfBegunLeaves(now);
    await alertGaps(now);
    // Hotlines changed through another instance: their language and greeting.
    await c.voices.reload();
  };
  const loop = new BackgroundLoop('roster', LOOP_SECONDS, tick, c.logger);

  return {
    name: 'roster',
    tick,
    apiRoutes(router) {
      router.use(
        rosterRoutes({ ...deps, audit: new PostgresAuditStore(c.db), clock: c.clock, leaveAdded: () => c.roster.moveCallbacksOfBegunLeaves(c.clock.now()), hotlinesChanged: () => c.voices.reload() }),
      );
    },
    webhookRoutes(router) {
      router.post('/sms/incoming', smsIncoming({ roster: c.roster, agents: c.agents, clock: c.clock, logger: c.logger }));
    },
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
