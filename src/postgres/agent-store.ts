import { systemClock, type Clock } from '../domain/clock';
import type { Agent, AgentChanges, AgentStore, NewAgent, PausedReason } from '../domain/ports';
import { ConflictError } from '../errors';
import type { Db } from './db';

interface AgentRow {
  id: string;
  name: string;
  phone: string;
  active: boolean;
  paused: boolean;
  paused_reason: PausedReason | null;
  paused_at: Date | null;
  position: number;
  created_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
}

const toAgent = (r: AgentRow): Agent => ({
  id: r.id,
  name: r.name,
  phone: r.phone,
  active: r.active,
  paused: r.paused,
  pausedReason: r.paused ? (r.paused_reason ?? 'admin') : null,
  pausedAt: r.paused ? r.paused_at : null,
  position: Number(r.position),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deactivatedAt: r.active ? null : (r.deactivated_at ?? r.updated_at),
});

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

export class PostgresAgentStore implements AgentStore {
  /** `clock` stamps when an agent joined and left the roster: the monthly evaluation lists who was on it in a month. */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(agent: NewAgent): Promise<Agent> {
    try {
      const rows = await this.db.query<AgentRow>(
        `INSERT INTO agents (name, phone, paused, paused_reason, paused_at, position, created_at)
         VALUES ($1, $2, $3, CASE WHEN $3 THEN 'admin' END, CASE WHEN $3 THEN now() END, COALESCE($4, (SELECT COALESCE(MAX(position), 0) + 1 FROM agents)), $5)
         RETURNING *`,
        [agent.name, agent.phone, agent.paused ?? false, agent.position ?? null, this.clock.now()],
      );
      return toAgent(rows[0]!);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('an active agent already has this phone', 'phone');
      throw err;
    }
  }

  async get(id: string): Promise<Agent | null> {
    const rows = await this.db.query<AgentRow>('SELECT * FROM agents WHERE id = $1', [id]);
    return rows[0] ? toAgent(rows[0]) : null;
  }

  async list(opts: { includeInactive?: boolean } = {}): Promise<Agent[]> {
    const rows = await this.db.query<AgentRow>(
      `SELECT * FROM agents WHERE active OR $1 ORDER BY position, id`,
      [opts.includeInactive ?? false],
    );
    return rows.map(toAgent);
  }

  async activePhones(): Promise<string[]> {
    const rows = await this.db.query<{ phone: string }>('SELECT phone FROM agents WHERE active');
    return rows.map((r) => r.phone);
  }

  async listRoutable(): Promise<Agent[]> {
    const rows = await this.db.query<AgentRow>('SELECT * FROM agents WHERE active AND NOT paused ORDER BY position, id');
    return rows.map(toAgent);
  }

  async update(id: string, c: AgentChanges): Promise<Agent | null> {
    try {
      const rows = await this.db.query<AgentRow>(
        `UPDATE agents SET
           name = COALESCE($2, name),
           phone = COALESCE($3, phone),
           active = COALESCE($4, active),
           paused = COALESCE($5, paused),
           -- A pause or resume through the API is the admin's; the roster's own go through setPaused.
           paused_reason = CASE WHEN $5::boolean IS NULL THEN paused_reason WHEN $5::boolean THEN 'admin' END,
           paused_at = CASE WHEN $5::boolean IS NULL THEN paused_at WHEN $5::boolean THEN $7::timestamptz END,
           missed_offers = CASE WHEN $5::boolean = false THEN 0 ELSE missed_offers END,
           position = COALESCE($6, position),
           -- Leaving the roster is stamped once; coming back clears it.
           deactivated_at = CASE WHEN $4::boolean = false AND active THEN $7::timestamptz WHEN $4::boolean THEN NULL ELSE deactivated_at END,
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, c.name ?? null, c.phone ?? null, c.active ?? null, c.paused ?? null, c.position ?? null, this.clock.now()],
      );
      return rows[0] ? toAgent(rows[0]) : null;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('an active agent already has this phone', 'phone');
      throw err;
    }
  }
}
