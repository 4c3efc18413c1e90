import type { CallbackFeature } from '../callbacks/callback-feature';
import type { Clock } from '../domain/clock';
import { ConflictError } from '../errors';
import type { PostgresTicketStore } from '../postgres/ticket-store';
import type { TicketDesk } from './ticket-desk';

/**
 * A follow-up (or return visit) closed by a call placed through the hotline. The call rides on a
 * callback (src/callbacks/): the customer's open one, else one opened for the ticket with no
 * scheduled jobs (no SMS, no deadline, no fine: the ticket keeps the clock). The callback's dial
 * rings the owner from the hotline number, they press 1, the customer is dialled; once the
 * customer answered the callback is done and the ticket sweep closes the ticket.
 */
export function ticketDialer(d: { desk: TicketDesk; store: PostgresTicketStore; clock: Clock; callbacks: () => CallbackFeature | null }) {
  return async (id: string) => {
    const t = await d.desk.mustGet(id);
    const cbf = d.callbacks();
    if (!cbf) throw new ConflictError('callbacks are not installed: no call can be placed through the hotline');
    if (t.kind !== 'follow-up' && t.kind !== 'return-visit') throw new ConflictError(`a ${t.kind} is not closed by a call back: only a follow-up or a return visit`, 'kind');
    if (t.status === 'closed') throw new ConflictError('the ticket is closed', 'status');
    if (!t.phone || !t.hotlineNumber) throw new ConflictError('the ticket has no customer number to call', 'phone');
    if (!t.ownerAgentId) throw new ConflictError('the ticket has no owner to place the call', 'ownerAgentId');
    const now = d.clock.now();
    let callbackId = await d.store.openCallbackFor(t.phone);
    if (!callbackId) {
      const callId = t.callIds[t.callIds.length - 1];
      if (!callId) throw new ConflictError('the ticket has no call to call back: link one (POST /api/tickets/:id/calls)', 'callIds');
      const opened = await cbf.callbacks.open(
        { phone: t.phone, hotlineNumber: t.hotlineNumber, callId, window: 'day', dueAt: t.dueAt, firstCallAt: t.openedAt, waitedSeconds: null, requestedByCaller: false, now, jobs: [] },
        t.ownerAgentId,
      );
      callbackId = opened?.id ?? (await d.store.openCallbackFor(t.phone));
      if (!callbackId) throw new ConflictError('the call back could not be opened: try again');
    }
    await d.store.addDial(t.id, callbackId, now);
    const attempt = await cbf.service.dial(callbackId, 'admin');
    await d.store.recordEvent(t.id, 'dialled', `callback ${callbackId}`, 'system', now);
    return { ticketId: t.id, callbackId, attempt: { id: attempt.id, agentId: attempt.agentId, placedAt: attempt.placedAt.toISOString(), ownerCallSid: attempt.ownerCallSid } };
  };
}
