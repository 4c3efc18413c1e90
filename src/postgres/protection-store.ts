import type { BlockRule } from '../domain/caller-screening';
import type { Db } from './db';

export type BlockReason = 'harassment' | 'spam' | 'other';

export interface BlocklistRule extends BlockRule {
  reason: BlockReason;
  note: string | null;
  addedBy: string;
  createdAt: Date;
  updatedAt: Date;
  liftedBy: string | null;
  fromReports: boolean;
}

export interface InternalNumber {
  id: string;
  pattern: string;
  name: string | null;
  addedBy: string;
  createdAt: Date;
}

export interface CallerReport {
  id: string;
  phone: string;
  callId: string;
  agentId: string | null;
  reportedAt: Date;
  liftedAt: Date | null;
  liftedBy: string | null;
}

type Row = Record<string, unknown>;
const date = (v: unknown) => (v === null || v === undefined ? null : (v as Date));

const toRule = (r: Row): BlocklistRule => ({
  id: String(r.id),
  pattern: String(r.pattern),
  reason: r.reason as BlockReason,
  note: (r.note as string | null) ?? null,
  addedBy: String(r.added_by),
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
  expiresAt: date(r.expires_at),
  liftedAt: date(r.lifted_at),
  liftedBy: (r.lifted_by as string | null) ?? null,
  fromReports: r.from_reports === true,
});

const toInternal = (r: Row): InternalNumber => ({
  id: String(r.id),
  pattern: String(r.pattern),
  name: (r.name as string | null) ?? null,
  addedBy: String(r.added_by),
  createdAt: r.created_at as Date,
});

const toReport = (r: Row): CallerReport => ({
  id: String(r.id),
  phone: String(r.phone),
  callId: String(r.call_id),
  agentId: (r.agent_id as string | null) ?? null,
  reportedAt: r.reported_at as Date,
  liftedAt: date(r.lifted_at),
  liftedBy: (r.lifted_by as string | null) ?? null,
});

/** Blocklist rules, internal numbers and agents' reports of harassing callers (R10). */
export class PostgresProtectionStore {
  constructor(private readonly db: Db) {}

  async addRule(r: { pattern: string; reason: BlockReason; note: string | null; expiresAt: Date | null; addedBy: string; at: Date; fromReports?: boolean }): Promise<BlocklistRule> {
    const rows = await this.db.query<Row>(
      `INSERT INTO blocklist_rules (pattern, reason, note, added_by, created_at, updated_at, expires_at, from_reports)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING *`,
      [r.pattern, r.reason, r.note, r.addedBy, r.at, r.expiresAt, r.fromReports ?? false],
    );
    return toRule(rows[0]!);
  }

  async getRule(id: string): Promise<BlocklistRule | null> {
    const rows = await this.db.query<Row>('SELECT * FROM blocklist_rules WHERE id = $1', [id]);
    return rows[0] ? toRule(rows[0]) : null;
  }

  async listRules(opts: { includeLifted: boolean }): Promise<BlocklistRule[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM blocklist_rules WHERE $1::boolean OR lifted_at IS NULL ORDER BY created_at DESC, id`,
      [opts.includeLifted],
    );
    return rows.map(toRule);
  }

  /** Rules not lifted: the gate's input (expiry is judged by the domain rule, against the call's time). */
  async unliftedRules(): Promise<BlocklistRule[]> {
    return this.listRules({ includeLifted: false });
  }

  async changeRule(id: string, c: { reason?: BlockReason; note?: string | null; expiresAt?: Date | null; at: Date }): Promise<BlocklistRule | null> {
    const rows = await this.db.query<Row>(
      `UPDATE blocklist_rules SET
         reason = COALESCE($2, reason),
         note = CASE WHEN $3::boolean THEN $4 ELSE note END,
         expires_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE expires_at END,
         updated_at = $7
       WHERE id = $1 RETURNING *`,
      [id, c.reason ?? null, c.note !== undefined, c.note ?? null, c.expiresAt !== undefined, c.expiresAt ?? null, c.at],
    );
    return rows[0] ? toRule(rows[0]) : null;
  }

  /** Lifts a rule; the record stays. Lifting a lifted rule changes nothing. */
  async liftRule(id: string, by: string, at: Date): Promise<BlocklistRule | null> {
    await this.db.query('UPDATE blocklist_rules SET lifted_at = $2, lifted_by = $3, updated_at = $2 WHERE id = $1 AND lifted_at IS NULL', [id, at, by]);
    return this.getRule(id);
  }

  async addInternal(r: { pattern: string; name: string | null; addedBy: string; at: Date }): Promise<InternalNumber | null> {
    const rows = await this.db.query<Row>(
      `INSERT INTO internal_numbers (pattern, name, added_by, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (pattern) WHERE removed_at IS NULL DO NOTHING RETURNING *`,
      [r.pattern, r.name, r.addedBy, r.at],
    );
    return rows[0] ? toInternal(rows[0]) : null;
  }

  async listInternal(): Promise<InternalNumber[]> {
    const rows = await this.db.query<Row>('SELECT * FROM internal_numbers WHERE removed_at IS NULL ORDER BY created_at, id');
    return rows.map(toInternal);
  }

  async removeInternal(id: string, by: string, at: Date): Promise<boolean> {
    const rows = await this.db.query<Row>('UPDATE internal_numbers SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL RETURNING id', [id, at, by]);
    return rows.length > 0;
  }

  /** Records an agent's report against a call's number; the same call reported again is the same report. */
  async report(r: { phone: string; callId: string; agentId: string | null; at: Date }): Promise<{ report: CallerReport; created: boolean }> {
    const rows = await this.db.query<Row>(
      `INSERT INTO caller_reports (phone, call_id, agent_id, reported_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (call_id) DO NOTHING RETURNING *`,
      [r.phone, r.callId, r.agentId, r.at],
    );
    if (rows[0]) return { report: toReport(rows[0]), created: true };
    const existing = await this.db.query<Row>('SELECT * FROM caller_reports WHERE call_id = $1', [r.callId]);
    return { report: toReport(existing[0]!), created: false };
  }

  /** Every number with standing reports, and how many (a short list: two reports block a number). */
  async standingReportCounts(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ phone: string; n: string | number }>('SELECT phone, COUNT(*) AS n FROM caller_reports WHERE lifted_at IS NULL GROUP BY phone');
    return new Map(rows.map((r) => [r.phone, Number(r.n)]));
  }

  async standingReports(phone: string): Promise<number> {
    const [r] = await this.db.query<Row>('SELECT COUNT(*) AS n FROM caller_reports WHERE phone = $1 AND lifted_at IS NULL', [phone]);
    return Number(r!.n);
  }

  async listReports(opts: { includeLifted: boolean }): Promise<CallerReport[]> {
    const rows = await this.db.query<Row>(
      'SELECT * FROM caller_reports WHERE $1::boolean OR lifted_at IS NULL ORDER BY reported_at DESC, id',
      [opts.includeLifted],
    );
    return rows.map(toReport);
  }

  /** Lifts every standing report against a number: it is no longer warned. */
  async liftReports(phone: string, by: string, at: Date): Promise<number> {
    const rows = await this.db.query<Row>('UPDATE caller_reports SET lifted_at = $2, lifted_by = $3 WHERE phone = $1 AND lifted_at IS NULL RETURNING id', [phone, at, by]);
    return rows.length;
  }
}
