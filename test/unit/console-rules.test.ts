import { describe, expect, it } from 'vitest';
import { can } from '../../src/domain/console-roles';
import { backoffUntil, signInVerdict, SIGN_IN_THROTTLE, type FailureCount } from '../../src/domain/sign-in-throttle';

const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 2, 0, s));

describe('sign-in throttle', () => {
  const rule = SIGN_IN_THROTTLE;
  const failures = (count: number, latestSecond: number): FailureCount => ({ count, latest: count ? at(latestSecond) : null });
  const none = failures(0, 0);

  it('lets the first five failures go by without a wait', () => {
    expect(backoffUntil(failures(4, 10), at(10), rule)).toBeNull();
    expect(backoffUntil(none, at(10), rule)).toBeNull();
  });

  it('waits 1 s after the fifth, doubling with each further failure, up to 15 minutes, counted from the latest failure', () => {
    expect(backoffUntil(failures(5, 10), at(10), rule)).toEqual(at(11));
    expect(backoffUntil(failures(6, 10), at(10), rule)).toEqual(at(12));
    expect(backoffUntil(failures(9, 10), at(10), rule)).toEqual(at(26));
    expect(backoffUntil(failures(500, 10), at(10), rule)).toEqual(at(10 + 900));
    // A wait, not a lock: once it has passed the next try is judged on its password.
    expect(backoffUntil(failures(9, 10), at(26), rule)).toBeNull();
  });

  it("holds back an address that is guessing, whatever account it tries", () => {
    expect(signInVerdict({ address: failures(7, 10), account: none, accountFromAddress: 0 }, at(11), rule)).toEqual({ held: true, until: at(14), by: 'address' });
  });

  it("holds an address to an account's backoff only once it has failed on that account three times", () => {
    const underAttack = failures(40, 10);
    // The owner at their own desk, or after a slip or two, is checked as usual.
    expect(signInVerdict({ address: failures(0, 0), account: underAttack, accountFromAddress: 0 }, at(11), rule)).toEqual({ held: false });
    expect(signInVerdict({ address: failures(2, 5), account: underAttack, accountFromAddress: 2 }, at(11), rule)).toEqual({ held: false });
    // One of many guessing addresses, past its few guesses, waits with the account.
    expect(signInVerdict({ address: failures(3, 5), account: underAttack, accountFromAddress: 3 }, at(11), rule)).toEqual({ held: true, until: at(910), by: 'account' });
    expect(signInVerdict({ address: failures(3, 5), account: failures(4, 10), accountFromAddress: 3 }, at(11), rule)).toEqual({ held: false });
  });
});

describe('console roles', () => {
  it('lets admins and supervisors change things and see full numbers; viewers only read', () => {
    expect(can('admin', 'manage-accounts')).toBe(true);
    expect(can('supervisor', 'manage-accounts')).toBe(false);
    expect(can('supervisor', 'change')).toBe(true);
    expect(can('supervisor', 'see-full-numbers')).toBe(true);
    expect(can('viewer', 'read')).toBe(true);
    expect(can('viewer', 'change')).toBe(false);
    expect(can('viewer', 'see-full-numbers')).toBe(false);
    expect(can('viewer', 'hold-api-token')).toBe(false);
  });
});
