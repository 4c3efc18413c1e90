import { calendarOf, withSettingHolidays, type CalendarDay, type WorkCalendar } from '../domain/work-calendar';
import type { PostgresHolidayStore } from '../postgres/holiday-store';

/**
 * The work calendar as this process knows it: every stored day plus the HOLIDAYS setting, held
 * in memory so that a call's roster read costs a Map lookup. Reloaded after this process changes
 * it (PUT /api/holidays) and every minute by the holidays feature, for changes made elsewhere.
 * Before the first load it holds the setting's dates only.
 */
export class CalendarCache implements WorkCalendar {
  private current: WorkCalendar;
  private signature = '';

  constructor(
    private readonly store: Pick<PostgresHolidayStore, 'all'>,
    private readonly settingHolidays: readonly string[],
    /** Told when a reload changed something (the facts cache forgets candidates read on the old calendar). */
    private readonly changed: () => void = () => undefined,
  ) {
    this.current = calendarOf(withSettingHolidays([], settingHolidays));
  }

  dayOf(date: string): CalendarDay | undefined {
    return this.current.dayOf(date);
  }

  async reload(): Promise<void> {
    const days = withSettingHolidays(await this.store.all(), this.settingHolidays);
    const signature = JSON.stringify(days);
    if (signature === this.signature) return;
    this.current = calendarOf(days);
    this.signature = signature;
    this.changed();
  }
}
