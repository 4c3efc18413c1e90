import type { Account } from './account-store';
import type { Role } from '../domain/console-roles';
import type { Db } from './db';

export interface ApiToken {
  id: string;
  accountId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

type Row = Record<string, unknown>;
const toToken = (r: Row): ApiToken => ({
  id: r.id as string,
  accountId: r.account_id as string,
  name: r.name as string,
  createdAt: r.created_at as Date,
  lastUsedAt: (r.last_used_at as Date | null) ?? null,
  revokedAt: (r.revoked_at as Date | null) ?? null,
});

/** Personal API tokens: only their SHA-256 is kept, so the token is shown once, at creation. */
export class PostgresApiTokenStore {
  constructor(private readonly db: Db) {}

  async create(accountId: string, name: string, tokenHash: string, now: Date): Promise<ApiToken> {
    const rows = await this.db.query<Row>('INSERT INTO api_tokens (account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *', [
      accountId,
      name,
      tokenHash,
      now,
    ]);
    return toToken(rows[0]!);
  }

  async listOf(accountId: string): Promise<ApiToken[]> {
    return (await this.db.query<Row>('SELECT * FROM api_tokens WHERE account_id = $1 ORDER BY created_at DESC', [accountId])).map(toToken);
  }

  async revoke(id: string, accountId: string, now: Date): Promise<ApiToken | null> {
    const rows = await this.db.query<Row>('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND account_id = $2 RETURNING *', [id, accountId, now]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  /** The active account behind a live token, marking the token used. */
  async accountOf(tokenHash: string, now: Date): Promise<Pick<Account, 'id' | 'username' | 'role'> | null> {
    const rows = await this.db.query<Row>(
      `UPDATE api_tokens t SET last_used_at = $2 FROM console_accounts a
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.id = t.account_id AND a.active
        RETURNING a.id, a.username, a.role`,
      [tokenHash, now],
    );
    return rows[0] ? { id: rows[0].id as string, username: rows[0].username as string, role: rows[0].role as Role } : null;
  }
}
