import { hash, verify } from '@node-rs/argon2';
import type { Clock } from '../domain/clock';
import { ROLES, type Role } from '../domain/console-roles';
import { SIGN_IN_THROTTLE, signInVerdict } from '../domain/sign-in-throttle';
import { BadRequestError } from '../errors';
import type { Account, PostgresAccountStore } from '../postgres/account-store';
import { newSecret, sha256 } from './session';

export const USERNAME = /^[A-Za-z0-9._-]{2,40}$/;
export const MIN_PASSWORD = 10;

export type SignInResult = { ok: true; account: Account; sessionId: string } | { ok: false; reason: 'wrong' } | { ok: false; reason: 'throttled'; until: Date };

/** Compared against when the username is unknown, so a wrong name costs as long as a wrong password. */
let decoyHash: Promise<string> | undefined;

/** Accounts, passwords (argon2id, @node-rs/argon2's defaults) and sign-ins with their throttle. */
export class AccountService {
  constructor(
    private readonly d: { accounts: PostgresAccountStore; clock: Clock; sessionHours: number },
  ) {}

  async create(username: string, password: string, role: string, displayName?: string | null): Promise<Account> {
    if (!USERNAME.test(username)) throw new BadRequestError('username: 2–40 letters, digits, dot, dash or underscore', 'username');
    if (!(ROLES as readonly string[]).includes(role)) throw new BadRequestError(`role: must be one of ${ROLES.join(', ')}`, 'role');
    if (password.length < MIN_PASSWORD) throw new BadRequestError(`password: at least ${MIN_PASSWORD} characters`, 'password');
    return this.d.accounts.create({ username, passwordHash: await hash(password), role: role as Role, now: this.d.clock.now(), displayName: displayName || null });
  }

  async setPassword(accountId: string, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD) throw new BadRequestError(`password: at least ${MIN_PASSWORD} characters`, 'password');
    await this.d.accounts.update(accountId, { passwordHash: await hash(password) }, this.d.clock.now());
  }

  /** A sign-in, throttled per address and per account (src/domain/sign-in-throttle.ts says how). */
  async signIn(username: string, password: string, address: string): Promise<SignInResult> {
    const now = this.d.clock.now();
    const since = new Date(now.getTime() - SIGN_IN_THROTTLE.windowSeconds * 1000);
    const attempt = await this.d.accounts.beginSignIn(username, address, now, since);
    const verdict = signInVerdict(attempt.failures, now);
    if (verdict.held) {
      // Held back unchecked: no failure, so trying again inside the wait does not lengthen it.
      await this.d.accounts.forgetSignIn(attempt.id);
      return { ok: false, reason: 'throttled', until: verdict.until };
    }
    const found = await this.d.accounts.credentials(username);
    decoyHash ??= hash(newSecret());
    const good = await verify(found?.passwordHash ?? (await decoyHash), password).catch(() => false);
    if (!found || !good || !found.account.active) {
      await this.d.accounts.keepFailure(since);
      return { ok: false, reason: 'wrong' };
    }
    // This try's own row goes with this address's earlier slips on the account.
    await this.d.accounts.clearFailures(username, address);
    const sessionId = newSecret();
    await this.d.accounts.startSession({
      idHash: sha256(sessionId),
      accountId: found.account.id,
      csrfToken: newSecret(),
      now,
      expiresAt: new Date(now.getTime() + this.d.sessionHours * 3600 * 1000),
    });
    return { ok: true, account: found.account, sessionId };
  }
}
