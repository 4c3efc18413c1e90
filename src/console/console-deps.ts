import type { CallbackFeature } from '../callbacks/callback-feature';
import type { Container } from '../container';
import { NotFoundError } from '../errors';
import type { PostgresAccountStore } from '../postgres/account-store';
import type { PostgresApiTokenStore } from '../postgres/api-token-store';
import type { PostgresAuditStore } from '../postgres/audit-store';
import type { CallNotesStore } from '../postgres/call-notes-store';
import type { PostgresConsoleStore } from '../postgres/console-store';
import type { CustomerStore } from '../postgres/customer-store';
import type { AccountService } from './account-service';

/** What the console's pages reach: the container's services and the stores the API routes use. */
export interface ConsoleDeps {
  c: Container;
  store: PostgresConsoleStore;
  audit: PostgresAuditStore;
  accounts: PostgresAccountStore;
  accountService: AccountService;
  tokens: PostgresApiTokenStore;
  notes: CallNotesStore;
  customers: CustomerStore;
  timeZone: string;
}

/** The callbacks feature, as installed beside the console (its service places and hands over callbacks). */
export function callbacksOf(c: Container): CallbackFeature {
  const f = c.features.find((x) => x.name === 'callbacks') as CallbackFeature | undefined;
  if (!f) throw new NotFoundError('callbacks are not enabled on this server');
  return f;
}
