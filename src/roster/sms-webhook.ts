import type { RequestHandler } from 'express';
import twilio from 'twilio';
import type { Clock } from '../domain/clock';
import { maskPhone } from '../domain/endpoint';
import type { AgentStore } from '../domain/ports';
import type { Logger } from '../logger';
import type { RosterService } from './roster-service';

export type SmsCommand = 'on' | 'off' | 'status';

/** An agent's text, read as a command: ON/上班, OFF/下班, STATUS/状态 (any case, spaces around ignored). */
export function smsCommand(body: string): SmsCommand | null {
  const word = body.trim().toUpperCase();
  if (word === 'ON' || word === '上班') return 'on';
  if (word === 'OFF' || word === '下班') return 'off';
  if (word === 'STATUS' || word === '状态') return 'status';
  return null;
}

const messageReply = (text: string): string => {
  const r = new twilio.twiml.MessagingResponse();
  r.message(text);
  return r.toString();
};

/**
 * The number's Messaging webhook (signature-checked by the shared webhook router): an agent
 * changes their own state from their own phone. A number that is not an active agent's, or a
 * text that is not a command, gets the help text and changes nothing.
 */
export function smsIncoming(d: { roster: RosterService; agents: AgentStore; clock: Clock; logger: Logger }): RequestHandler {
  return async (req, res) => {
    const from = typeof req.body?.From === 'string' ? req.body.From.trim() : '';
    const body = typeof req.body?.Body === 'string' ? req.body.Body : '';
    const t = d.roster.texts;
    let reply = t.help;
    try {
      const agent = from ? (await d.agents.list()).find((a) => a.phone === from) : undefined;
      const command = smsCommand(body);
      if (!agent || !command) {
        d.logger.info('sms: not an agent command', { from: maskPhone(from), known: !!agent });
      } else {
        const now = d.clock.now();
        const actor = `agent:${agent.id}`;
        if (command === 'on') {
          if (agent.paused && agent.pausedReason === 'admin') reply = t.pausedByAdmin;
          else {
            await d.roster.setPaused(agent.id, false, 'sms', actor, now);
            reply = t.resumed;
          }
        } else if (command === 'off') {
          await d.roster.setPaused(agent.id, true, 'sms', actor, now);
          reply = t.paused;
        } else {
          const s = await d.roster.describe(agent, now);
          reply = t.status({ paused: agent.paused, reason: agent.pausedReason, onDuty: s.onDuty, onLeave: s.onLeave });
        }
      }
    } catch (err) {
      // The agent still gets an answer; nothing was half-changed (each change is one statement).
      d.logger.error('sms command failed', { from: maskPhone(from), err });
    }
    res.status(200).type('text/xml').send(messageReply(reply));
  };
}
