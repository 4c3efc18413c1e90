/**
 * Who may do what in the admins' console and with a personal API token.
 *   admin       everything, and the accounts themselves
 *   supervisor  runs the day: callbacks, fines, notes, the roster
 *   viewer      reads; sees callers' numbers masked (R12)
 *   qc          a quality inspector: reads (numbers masked), scores calls, listens to recordings
 */
export const ROLES = ['admin', 'supervisor', 'viewer', 'qc'] as const;
export type Role = (typeof ROLES)[number];

export type Permission = 'read' | 'change' | 'manage-accounts' | 'see-full-numbers' | 'hold-api-token';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['read', 'change', 'manage-accounts', 'see-full-numbers', 'hold-api-token'],
  supervisor: ['read', 'change', 'see-full-numbers', 'hold-api-token'],
  // The API answers with full numbers, so a viewer holds no API token.
  viewer: ['read'],
  qc: ['read'],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** How an account appears in audits, notes history and fine waivers. */
export const accountActor = (username: string) => `account:${username}`;
/** The shared ADMIN_TOKEN of the API, which names no person. */
export const ADMIN_TOKEN_ACTOR = 'admin-token';
