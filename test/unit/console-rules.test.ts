import { describe, expect, it } from 'vitest';
import { can } from '../../src/domain/console-roles';
import { lockedUntil } from '../../src/domain/sign-in-throttle';

const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 2, 0, s));

describe('sign-in throttle', () => {
  const rule = { maxFailures: 5, windowSeconds: 900 };

  it('stays open below five failures in the window', () => {
    expect(lockedUntil([at(0), at(1), at(2), at(3)], at(4), rule)).toBeNull();
  });

  it('locks on the fifth failure until the oldest of the last five leaves the window', () => {
    const failures = [at(10), at(20), at(30), at(40), at(50)];
    expect(lockedUntil(failures, at(60), rule)).toEqual(at(910));
    expect(lockedUntil(failures, at(910), rule)).toBeNull();
  });

  it('counts only failures inside the window, in any order', () => {
    expect(lockedUntil([at(50), at(-2000), at(10), at(40), at(30)], at(60), rule)).toBeNull();
    expect(lockedUntil([at(50), at(5), at(10), at(40), at(30), at(20)], at(60), rule)).toEqual(at(910));
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
