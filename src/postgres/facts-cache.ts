/**
 * The slowly changing facts an arriving call needs (the roster and who is on duty, the
 * blocklist, internal numbers, agents' phones), kept in memory for two seconds so that the
 * incoming-call webhook does not read them from the database on every call, however large the
 * roster: they are read again at most once per 1.5 s.
 *
 * Staleness: this instance forgets everything the moment it writes one of these facts (see
 * watch-fact-writes.ts), so its own changes count at once. A change made through another
 * instance is seen here at most FACTS_TTL_MS later (a pause by SMS, a new shift, a blocklist
 * rule). An entry is also dropped when the hotline's clock has moved FACTS_TTL_MS from when it
 * was read, or gone back, so a shift boundary is crossed at most that late.
 */
export const FACTS_TTL_MS = 2000;

/** Past this share of the ttl an entry is read again in the background (one reload per 1.5 s at most, whatever the traffic). */
const REFRESH_AT = 0.75;

interface Entry {
  value: Promise<unknown>;
  readAtMs: number;
  loadedAtWallMs: number;
  refreshing?: boolean;
}

export class FactsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = FACTS_TTL_MS) {}

  /** Forgets every fact: this instance is about to change, or has just changed, one of them. */
  invalidate(): void {
    this.entries.clear();
  }

  /**
   * The fact under `key` as read at most ttl ago (by the hotline's clock `at` and by the wall
   * clock); concurrent readers share one load. A load that fails is not kept. Past REFRESH_AT of
   * its ttl an entry is read again in the background, so a steady stream of calls never waits for it.
   */
  async read<T>(key: string, at: Date, load: () => Promise<T>): Promise<T> {
    const atMs = at.getTime();
    const wallMs = performance.now();
    const hit = this.entries.get(key);
    const age = hit && atMs >= hit.readAtMs ? Math.max(atMs - hit.readAtMs, wallMs - hit.loadedAtWallMs) : Infinity;
    if (hit && age < this.ttlMs) {
      if (age >= this.ttlMs * REFRESH_AT && !hit.refreshing) this.refresh(key, hit, { value: load(), readAtMs: atMs, loadedAtWallMs: wallMs });
      return hit.value as Promise<T>;
    }
    const entry: Entry = { value: load(), readAtMs: atMs, loadedAtWallMs: wallMs };
    this.entries.set(key, entry);
    try {
      return (await entry.value) as T;
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  /** Puts `next` in place of `current` once loaded, unless a write has cleared the cache meanwhile. */
  private refresh(key: string, current: Entry, next: Entry): void {
    current.refreshing = true;
    next.value.then(
      () => {
        if (this.entries.get(key) === current) this.entries.set(key, next);
      },
      () => {
        current.refreshing = false;
      },
    );
  }
}
