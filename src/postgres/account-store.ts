import type { Role } from '../domain/console-roles';
import type { SignInFailures } from '../domain/sign-in-throttle';
import { ConflictError } from '../errors';
import type { Db } from './db';

export interface Account {
  id: string;
  username: string;
  role: Role;
  active: boolean;
  createdAt: Date;
  /** The name the person goes by (null: the username is shown). */
  displayName: string | null;
}

export interface Session {
  account: Account;
  csrfToken: string;
  expiresAt: Date;
}

type Row = Record<string, unknown>;
const toAccount = (r: Row): Account => ({
  id: r.id as string,
  username: r.username as string,
  role: r.role as Role,
  active: r.active as boolean,
  createdAt: r.created_at as Date,
  displayName: (r.display_name as string | null) ?? null,
});

/** The console's accounts, their server-side sessions, and the record of failed sign-ins. */
export class PostgresAccountStore {
  constructor(private readonly db: Db) {}

  async create(a: { username: string; passwordHash: string; role: Role; now: Date; displayName?: string | null }): Promise<Account> {
    const rows = await this.db.query<Row>(
      `INSERT INTO console_accounts (username, password_hash, role, created_at, updated_at, display_name) VALUES ($1, $2, $3, $4, $4, $5)
       ON CONFLICT (username) DO NOTHING RETURNING *`,
      [a.username, a.passwordHash, a.role, a.now, a.displayName ?? null],
    );
    if (!rows[0]) throw new ConflictError(`username: ${a.username} is taken`, 'username');
    return toAccount(rows[0]);
  }

  async list(): Promise<Account[]> {
    return (await this.db.query<Row>('SELECT * FROM console_accounts ORDER BY username')).map(toAccount);
  }

  /** Usernames and the names their people go by, for naming who did something. */
  async displayNames(): Promise<Map<string, string>> {
    const rows = await this.db.query<Row>('SELECT username, display_name FROM console_accounts WHERE display_name IS NOT NULL');
    return new Map(rows.map((r) => [r.username as string, r.display_name as string]));
  }

  async get(id: string): Promise<Account | null> {
    const rows = await this.db.query<Row>('SELECT * FROM console_accounts WHERE id = $1', [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  /** The account and its password hash, for checking a sign-in. */
  async credentials(username: string): Promise<{ account: Account; passwordHash: string } | null> {
    const rows = await this.db.query<Row>('SELECT * FROM console_accounts WHERE username = $1', [username]);
    return rows[0] ? { account: toAccount(rows[0]), passwordHash: rows[0].password_hash as string } : null;
  }

  /** `displayName`: undefined leaves it, null clears it. */
  async update(id: string, changes: { role?: Role; active?: boolean; passwordHash?: string; displayName?: string | null }, now: Date): Promise<Account | null> {
    const rows = await this.db.query<Row>(
      `UPDATE console_accounts SET role = COALESCE($2, role), active = COALESCE($3, active),
         password_hash = COALESCE($4, password_hash), updated_at = $5,
         display_name = CASE WHEN $6::boolean THEN $7::text ELSE display_name END WHERE id = $1 RETURNING *`,
      [id, changes.role ?? null, changes.active ?? null, changes.passwordHash ?? null, now, changes.displayName !== undefined, changes.displayName ?? null],
    );
    // A deactivated account or a new password ends every session it had.
    if (rows[0] && (changes.active === false || changes.passwordHash)) await this.db.query('DELETE FROM console_sessions WHERE account_id = $1', [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async startSession(s: { idHash: string; accountId: string; csrfToken: string; now: Date; expiresAt: Date }): Promise<void> {
    await this.db.query('INSERT INTO console_sessions (id_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      s.idHash,
      s.accountId,
      s.csrfToken,
      s.now,
      s.expiresAt,
    ]);
  }

  /** A live session of an active account; expired ones are dropped on the way. */
  async session(idHash: string, now: Date): Promise<Session | null> {
    const rows = await this.db.query<Row>(
      `SELECT s.csrf_token, s.expires_at, a.* FROM console_sessions s JOIN console_accounts a ON a.id = s.account_id
        WHERE s.id_hash = $1 AND s.expires_at > $2 AND a.active`,
      [idHash, now],
    );
    if (!rows[0]) {
      await this.db.query('DELETE FROM console_sessions WHERE expires_at <= $1', [now]);
      return null;
    }
    return { account: toAccount(rows[0]), csrfToken: rows[0].csrf_token as string, expiresAt: rows[0].expires_at as Date };
  }

  /** Which of these sessions are still live (not ended, not expired, their account active), with their accounts as they are now: one query for every open live stream. */
  async liveSessions(idHashes: readonly string[], now: Date): Promise<Map<string, Account>> {
    if (idHashes.length === 0) return new Map();
    const rows = await this.db.query<Row>(
      `SELECT s.id_hash, a.* FROM console_sessions s JOIN console_accounts a ON a.id = s.account_id
        WHERE s.id_hash = ANY($1::text[]) AND s.expires_at > $2 AND a.active`,
      [[...new Set(idHashes)], now],
    );
    return new Map(rows.map((r) => [r.id_hash as string, toAccount(r)]));
  }

  async endSession(idHash: string): Promise<void> {
    await this.db.query('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
  }

  /**
   * A sign-in try begins: it is written down as a failure before it is judged, in a statement of
   * its own, and the failures read after it. Two tries at once (on any instances) thus see each
   * other: a burst of parallel guesses is counted, not judged all against the same old record.
   * The try is forgotten again if it is held back (`forgetSignIn`) or turns out right (`clearFailures`).
   */
  async beginSignIn(username: string, address: string, now: Date, since: Date): Promise<{ id: string; failures: SignInFailures }> {
    const [mine] = await this.db.query<{ id: string }>('INSERT INTO console_sign_in_failures (username, address, at) VALUES ($1, $2, $3) RETURNING id::text AS id', [username, address, now]);
    const [row] = await this.db.query<Row>(
      `SELECT count(*) FILTER (WHERE address = $2)::int AS address_count, max(at) FILTER (WHERE address = $2) AS address_latest,
              count(*) FILTER (WHERE username = $1)::int AS account_count, max(at) FILTER (WHERE username = $1) AS account_latest,
              count(*) FILTER (WHERE username = $1 AND address = $2)::int AS account_from_address
         FROM console_sign_in_failures WHERE (username = $1 OR address = $2) AND at > $3 AND id <> $4::bigint`,
      [username, address, since, mine!.id],
    );
    const latest = (v: unknown) => (v === null || v === undefined ? null : new Date(v as Date));
    return {
      id: mine!.id,
      failures: {
        address: { count: Number(row?.address_count ?? 0), latest: latest(row?.address_latest) },
        account: { count: Number(row?.account_count ?? 0), latest: latest(row?.account_latest) },
        accountFromAddress: Number(row?.account_from_address ?? 0),
      },
    };
  }

  /** The try was no failure: held back unchecked, or the right password. */
  async forgetSignIn(id: string): Promise<void> {
    await this.db.query('DELETE FROM console_sign_in_failures WHERE id = $1::bigint', [id]);
  }

  /** The try stays a failure; failures older than the throttle's window are dropped as new ones come. */
  async keepFailure(olderThan: Date): Promise<void> {
    await this.db.query('DELETE FROM console_sign_in_failures WHERE at < $1', [olderThan]);
  }

  /**
   * The right password from this address forgives its own earlier slips on this account, and only
   * those: others' failures on the account (a guesser elsewhere) still count.
   */
  async clearFailures(username: string, address: string): Promise<void> {
    await this.db.query('DELETE FROM console_sign_in_failures WHERE username = $1 AND address = $2', [username, address]);
  }
}
