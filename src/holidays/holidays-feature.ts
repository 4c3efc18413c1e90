import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import { PostgresAuditStore } from '../postgres/audit-store';
import { PostgresHolidayStore } from '../postgres/holiday-store';
import { holidayRoutes, type HolidayRoutesDeps } from './holiday-routes';

const RELOAD_SECONDS = 60;

/** The calendar's records as the API and the console page change them. */
export function holidayDeps(c: Container): HolidayRoutesDeps {
  return { store: new PostgresHolidayStore(c.db), audit: new PostgresAuditStore(c.db), clock: c.clock, settingHolidays: c.config.HOLIDAYS, changed: () => c.calendar.reload() };
}

/** Holidays and make-up workdays (调休): the API, and the minute reload of the calendar the roster and deadlines read. */
export function holidaysFeature(c: Container): Feature {
  const loop = new BackgroundLoop('holidays', RELOAD_SECONDS, () => c.calendar.reload(), c.logger);
  return {
    name: 'holidays',
    apiRoutes(router) {
      router.use(holidayRoutes(holidayDeps(c)));
    },
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
