import type { Candidates } from '../domain/ports';

/**
 * The slowly changing facts an arriving call needs (the roster and who is on duty, the
 * blocklist, internal numbers, agents' phones), kept in memory so that the incoming-call webhook
 * does not read them from the database on every call, however large the roster.
 *
 * Staleness: this instance forgets everything the moment it writes one of these facts (see
 * watch-fact-writes.ts), so its own changes count at once. A change made through another
 * instance is seen here:
 * - while change notices arrive (`noticesUp`: PostgreSQL's NOTIFY, migration 0019), as soon as
 *   its notice does, which PostgreSQL sends once the change has committed; an entry is then kept
 *   without reading it again, up to NOTICED_MAX_AGE_MS (a safety net should a notice be lost);
 * - otherwise (no listener, PGlite, the listening connection lost) at most FACTS_TTL_MS later:
 *   past REFRESH_AT of that an entry is read again.
 * An entry is also dropped when the hotline's clock has moved FACTS_TTL_MS from when it was read
 * (unless notices kept it), has gone back, or has reached the moment the loader said the fact
 * changes by itself (`validUntil`: the next shift boundary).
 */
export const FACTS_TTL_MS = 2000;

/** While notices arrive, an entry is still read again once this old (a lost notice costs at most this). */
export const NOTICED_MAX_AGE_MS = 60_000;

/** Past this share of the ttl an entry is renewed or read again in the background (one reload per 1.5 s at most, whatever the traffic). */
const REFRESH_AT = 0.75;

interface Entry {
  value: Promise<unknown>;
  /** The hotline clock and the wall clock when it was last read or renewed. */
  readAtMs: number;
  loadedAtWallMs: number;
  /** The wall clock when it was read from the database. */
  firstLoadedWallMs: number;
  /** The notices epoch when the read began (null: no notices then): only that epoch may renew it. */
  epoch: number | null;
  /** Set once the value has loaded: the hotline-clock instant from which it no longer holds. */
  validUntilMs?: number;
  refreshing?: boolean;
}

export interface FactOptions<T> {
  /** The hotline-clock instant from which the loaded value no longer holds by itself (a shift starts or ends); none: until a change. */
  validUntil?: (value: T) => Date | undefined;
}

/**
 * The roster's answer for a hotline number (RosterPort.candidates), as kept here: read again at
 * a change, or at the next shift or leave boundary it names (`validUntil`). The call flow's hunt
 * and the roster kept for outages read it alike.
 */
export function readCandidates(facts: FactsCache, hotlineNumber: string, at: Date, load: () => Promise<Candidates>): Promise<Candidates> {
  return facts.read(`candidates:${hotlineNumber}`, at, load, { validUntil: (c) => c.validUntil });
}

export class FactsCache {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;
  /** The current epoch while change notices arrive; null while they do not. */
  private noticesEpoch: number | null = null;

  constructor(private readonly ttlMs = FACTS_TTL_MS) {}

  /** Forgets every fact: this instance is about to change, or has just changed, one of them, or a notice said another did. */
  invalidate(): void {
    this.entries.clear();
  }

  /** Whether change notices arrive now (for /metrics). */
  get noticesArriving(): boolean {
    return this.noticesEpoch !== null;
  }

  /**
   * Change notices start arriving (true) or stop (false). Either way what is held is forgotten:
   * changes made while none arrived were not noticed.
   */
  noticesUp(up: boolean): void {
    this.epoch++;
    this.noticesEpoch = up ? this.epoch : null;
    this.invalidate();
  }

  /**
   * The fact under `key` as read at most ttl ago (by the hotline's clock `at` and by the wall
   * clock), or as read since the last change notice; concurrent readers share one load. A load
   * that fails is not kept. Past REFRESH_AT of its ttl an entry is renewed (notices arriving,
   * nothing changed) or read again in the background, so a steady stream of calls never waits for it.
   */
  async read<T>(key: string, at: Date, load: () => Promise<T>, o: FactOptions<T> = {}): Promise<T> {
    const atMs = at.getTime();
    const wallMs = performance.now();
    const hit = this.entries.get(key);
    const fresh = hit && atMs >= hit.readAtMs && atMs < (hit.validUntilMs ?? Infinity);
    const age = fresh ? Math.max(atMs - hit.readAtMs, wallMs - hit.loadedAtWallMs) : Infinity;
    if (hit && age < this.ttlMs) {
      if (age >= this.ttlMs * REFRESH_AT && !hit.refreshing) {
        if (this.mayRenew(hit, wallMs)) {
          hit.readAtMs = atMs;
          hit.loadedAtWallMs = wallMs;
        } else {
          this.refresh(key, hit, this.start(atMs, wallMs, load, o));
        }
      }
      return hit.value as Promise<T>;
    }
    const entry = this.start(atMs, wallMs, load, o);
    this.entries.set(key, entry);
    try {
      return (await entry.value) as T;
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  /** Nothing can have changed since the entry was read: notices have arrived all along, and none came. */
  private mayRenew(e: Entry, wallMs: number): boolean {
    return e.epoch !== null && e.epoch === this.noticesEpoch && e.validUntilMs !== undefined && wallMs - e.firstLoadedWallMs < NOTICED_MAX_AGE_MS;
  }

  private start<T>(atMs: number, wallMs: number, load: () => Promise<T>, o: FactOptions<T>): Entry {
    const entry: Entry = { value: Promise.resolve(), readAtMs: atMs, loadedAtWallMs: wallMs, firstLoadedWallMs: wallMs, epoch: this.noticesEpoch };
    entry.value = load().then((v) => {
      entry.validUntilMs = o.validUntil?.(v)?.getTime() ?? Infinity;
      return v;
    });
    return entry;
  }

  /** Puts `next` in place of `current` once loaded, unless a write or a notice has cleared the cache meanwhile. */
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
