import { repeatWindowStart } from '../domain/call-notes';
import type { Call } from '../domain/ports';
import { isWithheldNumber } from '../domain/withheld-number';
import type { Db } from './db';

export interface Customer {
  id: string;
  phone: string;
  /** As an agent entered it; Twilio's CallerName never overwrites it. */
  name: string | null;
  /** The CallerName Twilio last sent for this number. */
  nameSuggestion: string | null;
  notes: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface CustomerRow {
  id: string;
  phone: string;
  name: string | null;
  name_suggestion: string | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

const toCustomer = (r: CustomerRow): Customer => ({
  id: r.id,
  phone: r.phone,
  name: r.name,
  nameSuggestion: r.name_suggestion,
  notes: r.notes,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Customer files, one per caller number, and the link from each call to its customer. */
export class CustomerStore {
  constructor(private readonly db: Db) {}

  /**
   * Files the call under its caller's customer (made on first contact) and marks it a repeat
   * call when the same number called within `repeatDays` before (a refused or internal call
   * does not count). Safe to repeat: a linked call is left alone.
   * A withheld number is nobody's: the call stays unfiled (no customer, never a repeat caller).
   */
  async linkCall(call: Call, repeatDays: number, at: Date): Promise<void> {
    if (call.customerId || isWithheldNumber(call.from)) return;
    await this.db.transaction(async (tx) => {
      const customer = (
        await tx.query<CustomerRow>(
          `INSERT INTO customers (phone, name_suggestion, created_at, updated_at) VALUES ($1, $2, $3, $3)
           ON CONFLICT (phone) DO UPDATE SET name_suggestion = COALESCE(EXCLUDED.name_suggestion, customers.name_suggestion)
           RETURNING *`,
          [call.from, call.callerName, at],
        )
      )[0]!;
      await tx.query(
        `UPDATE calls SET customer_id = $2, repeat_caller = EXISTS (
            SELECT 1 FROM calls earlier
             WHERE earlier.from_number = calls.from_number AND earlier.id <> calls.id
               AND NOT earlier.blocked AND NOT earlier.internal
               AND earlier.started_at < calls.started_at AND earlier.started_at >= $3::timestamptz)
          WHERE id = $1 AND customer_id IS NULL`,
        [call.id, customer.id, repeatWindowStart(call.startedAt, repeatDays)],
      );
    });
  }

  async getByPhone(phone: string): Promise<Customer | null> {
    const rows = await this.db.query<CustomerRow>('SELECT * FROM customers WHERE phone = $1', [phone]);
    return rows[0] ? toCustomer(rows[0]) : null;
  }

  async getById(id: string): Promise<Customer | null> {
    const rows = await this.db.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [id]);
    return rows[0] ? toCustomer(rows[0]) : null;
  }

  async update(phone: string, changes: { name?: string | null; notes?: string | null }, at: Date): Promise<Customer | null> {
    const rows = await this.db.query<CustomerRow>(
      `UPDATE customers SET
          name = CASE WHEN $2::boolean THEN $3::text ELSE name END,
          notes = CASE WHEN $4::boolean THEN $5::text ELSE notes END,
          updated_at = $6
        WHERE phone = $1 RETURNING *`,
      [phone, 'name' in changes && changes.name !== undefined, changes.name ?? null, 'notes' in changes && changes.notes !== undefined, changes.notes ?? null, at],
    );
    return rows[0] ? toCustomer(rows[0]) : null;
  }
}
