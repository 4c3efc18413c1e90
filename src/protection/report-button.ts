import express, { type Router } from 'express';
import { NOTES_LINK_PURPOSE } from '../after-call/notes-link';
import { refusedPage } from '../after-call/mobile-page';
import type { Clock } from '../domain/clock';
import type { CallStore } from '../domain/ports';
import { verifyLink } from '../domain/signed-link';
import { isWithheldNumber } from '../domain/withheld-number';
import type { PromptLanguage } from '../twiml/prompts';
import type { ProtectionService } from './caller-gate';

export interface ReportButtonDeps {
  calls: CallStore;
  service: ProtectionService;
  clock: Clock;
  secret: string;
  language: PromptLanguage;
}

/**
 * POST /m/calls/<token>/report: the "harassing caller" button on the answering agent's call page
 * (the page texted to them, src/after-call/). The same signed token as the page: only the agent
 * who answered the call can report its caller.
 */
export function reportButtonRoutes(router: Router, d: ReportButtonDeps): void {
  const form = express.urlencoded({ extended: false, limit: '1kb' });
  router.post('/m/calls/:token/report', form, async (req, res) => {
    const token = String(req.params.token);
    const check = verifyLink(d.secret, token, NOTES_LINK_PURPOSE, d.clock.now());
    const call = check.ok ? await d.calls.getCall(check.claims.subject) : null;
    if (!check.ok || !call || call.answeredByAgentId !== check.claims.agentId || isWithheldNumber(call.from)) {
      res.status(403).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(refusedPage(d.language));
      return;
    }
    await d.service.report(call, check.claims.agentId);
    res.redirect(303, `/m/calls/${token}?done=reported`);
  });
}
