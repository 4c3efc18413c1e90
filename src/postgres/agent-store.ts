import type { Agent, AgentChanges, AgentStore, NewAgent } from '../domain/ports';
import { ConflictError } from '../errors';
import type { Db } from './db';

interface AgentRow {
  id: string;
  name: string;
  phone: string;
  active: boolean;
  paused: boolean;
  position: number;
  created_at: Date;
  updated_at: Date;
}

const toAgent = (r: AgentRow): Agent => ({
  id: r.id,
  name: r.name,
  phone: r.phone,
  active: r.active,
  paused: r.paused,
  position: Number(r.position),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

export class PostgresAgentStore implements AgentStore {
  constructor(private readonly db: Db) {}

  async create(agent: NewAgent): Promise<Agent> {
    try {
      const rows = await this.db.query<AgentRow>(
        `INSERT INTO agents (name, phone, paused, position)
         VALUES ($1, $2, $3, COALESCE($4, (SELECT COALESCE(MAX(position), 0) + 1 FROM agents)))
         RETURNING *`,
        [agent.name, agent.phone, agent.paused ?? false, agent.position ?? null],
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
           position = COALESCE($6, position),
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, c.name ?? null, c.phone ?? null, c.active ?? null, c.paused ?? null, c.position ?? null],
      );
      return rows[0] ? toAgent(rows[0]) : null;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('an active agent already has this phone', 'phone');
      throw err;
    }
  }
}
