import { Router } from 'express';
import { accountPages } from './account-pages';
import { ApiBridge } from './api-bridge';
import { auditPages } from './audit-pages';
import { blocklistPages } from './blocklist-pages';
import type { ConsoleDeps } from './console-deps';
import { customerPages } from './customer-pages';
import { hotlinePages } from './hotline-pages';
import { leavePages } from './leave-pages';
import { rosterPages } from './roster-pages';

/** The supervisor's pages over the roster, leave, hotlines, caller protection, customers, the audit log and one's account. */
export function adminPages(d: ConsoleDeps): Router {
  const api = new ApiBridge(d.c);
  const r = Router();
  r.use(rosterPages(d, api));
  r.use(leavePages(d, api));
  r.use(hotlinePages(d, api));
  r.use(blocklistPages(d, api));
  r.use(customerPages(d, api));
  r.use(auditPages(d));
  r.use(accountPages(d));
  return r;
}
