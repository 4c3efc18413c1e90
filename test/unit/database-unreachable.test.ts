import { describe, expect, it } from 'vitest';
import { isConnectFailure, isDatabaseUnreachable, isPassingFailure } from '../../src/postgres/database-unreachable';
import { failureOf } from '../../src/postgres/new-calls';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('an unreachable database, told apart from bugs and bad input', () => {
  it('refused, terminated and shut-down connections are unreachable; constraint violations and bugs are not', () => {
    expect(isDatabaseUnreachable(refused())).toBe(true);
    expect(isDatabaseUnreachable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnreachable(new AggregateError([refused(), refused()]))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnreachable(new TypeError('x is undefined'))).toBe(false);
  });

  it('a failure that passes (unreachable, a busy pool, a deadlock, a serialization failure) is told apart from a refusal of what the statement says', () => {
    expect(isPassingFailure(refused())).toBe(true);
    expect(isPassingFailure(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isPassingFailure(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true);
    expect(isPassingFailure(Object.assign(new Error('could not serialize access'), { code: '40001' }))).toBe(true);
    expect(isPassingFailure(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe(false);
    expect(isPassingFailure(Object.assign(new Error('insert or update violates foreign key constraint'), { code: '23503' }))).toBe(false);
    expect(isPassingFailure(new Error('the call is not on record (its arrival was not replayed)'))).toBe(false);
  });
});

describe('a connection that could not be made, told apart from one lost mid-statement', () => {
  it('refused, timed out and starting-up are connect failures; terminated, reset and shut down are not', () => {
    expect(isConnectFailure(refused())).toBe(true);
    expect(isConnectFailure(new AggregateError([refused(), refused()]))).toBe(true);
    expect(isConnectFailure(new Error('timeout expired'))).toBe(true);
    expect(isConnectFailure(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isConnectFailure(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isConnectFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isConnectFailure(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(false);
    // A query that waited too long for a free connection of the pool: the instance is busy, the database is not down.
    expect(isConnectFailure(new Error('timeout exceeded when trying to connect'))).toBe(false);
  });

  it("tells what a failed statement of new calls means for the calls in it", () => {
    expect(failureOf(refused())).toBe('down');
    expect(failureOf(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe('rows');
    expect(failureOf(Object.assign(new Error('violates check constraint'), { code: '23514' }))).toBe('rows');
    expect(failureOf(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe('again');
    expect(failureOf(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe('batch');
    expect(failureOf(new Error('timeout exceeded when trying to connect'))).toBe('batch');
    expect(failureOf(new TypeError('x is undefined'))).toBe('batch');
  });
});
