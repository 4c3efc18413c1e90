import { Router, type Request, type Response } from 'express';
import { auditChanges } from '../api/api-audit';
import type { Container } from '../container';
import { AppError, NotFoundError, requestErrorOf } from '../errors';
import { PostgresAuditStore } from '../postgres/audit-store';
import type { Viewer } from './session';

/** The features whose admin API the console's forms go through. */
const BRIDGED = new Set(['roster', 'protection', 'after-call', 'tickets', 'notify']);

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/**
 * Runs one admin-API route in-process for a console form, so the console keeps no second copy of
 * the API's validation, rules (leave conflicts, one hotline per number...) and audit: the form's
 * fields become the API's JSON body, the signed-in person is the actor, a refusal is thrown as the
 * API's own error (400/404/409 naming the field) for the console's error page.
 */
export class ApiBridge {
  private router: Router | undefined;

  constructor(private readonly c: Container) {}

  /** Built on first use: the features are all installed by the time a form arrives. */
  private api(): Router {
    if (!this.router) {
      const r = Router();
      r.use(auditChanges(new PostgresAuditStore(this.c.db), this.c.clock, this.c.logger));
      this.c.features.filter((f) => BRIDGED.has(f.name)).forEach((f) => f.apiRoutes?.(r));
      this.router = r;
    }
    return this.router;
  }

  run(req: Request, res: Response, v: Viewer, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<ApiAnswer> {
    return new Promise((resolve, reject) => {
      const finish: (() => void)[] = [];
      let settled = false;
      const done = (status: number, answer: unknown) => {
        if (settled) return;
        settled = true;
        if (status >= 400) return reject(new AppError(status, 'refused', errorMessage(answer)));
        finish.forEach((f) => f());
        resolve({ status, body: answer });
      };
      const fakeReq = Object.create(req) as Request & Record<string, unknown>;
      Object.assign(fakeReq, { method, url, originalUrl: `/api${url}`, body: body ?? {}, baseUrl: '', params: {} });
      const fakeRes = Object.create(res) as Response & Record<string, unknown>;
      Object.assign(fakeRes, {
        locals: { actor: v.actor },
        statusCode: 200,
        status(this: Response, n: number) {
          this.statusCode = n;
          return this;
        },
        json(this: Response, b: unknown) {
          done(this.statusCode, b);
          return this;
        },
        send(this: Response, b: unknown) {
          done(this.statusCode, b);
          return this;
        },
        end(this: Response) {
          done(this.statusCode, null);
          return this;
        },
        on(this: Response, event: string, f: () => void) {
          if (event === 'finish') finish.push(f);
          return this;
        },
      });
      this.api()(fakeReq, fakeRes, (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(requestErrorOf(err) ?? err);
        else reject(new NotFoundError(`no API route ${method} ${url}`));
      });
    });
  }
}

function errorMessage(answer: unknown): string {
  const e = (answer as { error?: { message?: unknown } } | null)?.error;
  return typeof e?.message === 'string' ? e.message : 'refused';
}
