import type { Clock } from '../domain/clock';
import { deleteAfter, isNewListen, RECORDING_LINK_PURPOSE, startsAtBeginning, type RecordingReport } from '../domain/recording-rules';
import { signLink } from '../domain/signed-link';
import { ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import type { PostgresAuditStore } from '../postgres/audit-store';
import type { PostgresRecordingStore, Recording, RecordingOwner } from '../postgres/recording-store';
import type { TwilioMedia } from './twilio-media';

/** What Twilio's recording status callback said, and where its URL said it belongs. */
export type { RecordingReport } from '../domain/recording-rules';

export interface RecordingServiceDeps {
  store: PostgresRecordingStore;
  audit: PostgresAuditStore;
  media: TwilioMedia;
  clock: Clock;
  logger: Logger;
  retentionDays: number;
  linkSecret: string;
  linkTtlHours: number;
  publicBaseUrl: string;
}

/** The actor the retention sweep is audited as. */
export const RETENTION_ACTOR = 'system:recording-retention';

/** Recordings (R12): stored once per SID, heard only through the product, kept as long as policy says. */
export class RecordingService {
  constructor(private readonly d: RecordingServiceDeps) {}

  get store(): PostgresRecordingStore {
    return this.d.store;
  }

  /** A recording status callback: a completed recording is stored once, however often Twilio posts it. */
  async reported(r: RecordingReport): Promise<Recording | null> {
    const kept = await this.keep(r);
    if (kept === 'not-on-record') this.d.logger.warn('recording for a call not on record: not kept', { callSid: r.callSid, recordingSid: r.recordingSid });
    return typeof kept === 'string' ? null : kept;
  }

  /**
   * A report spooled while the database was down (src/spool/), at its replay: 'not-on-record'
   * while its call is not on record (another instance's spool may still hold it), and the replay
   * tries again a while before it sets the report aside.
   */
  async replayReported(r: RecordingReport): Promise<'kept' | 'not-on-record'> {
    return (await this.keep(r)) === 'not-on-record' ? 'not-on-record' : 'kept';
  }

  private async keep(r: RecordingReport): Promise<Recording | 'not-completed' | 'not-on-record'> {
    const log = this.d.logger.child({ callSid: r.callSid, recordingSid: r.recordingSid });
    if (r.status !== 'completed') {
      log.info('recording status other than completed: nothing kept', { status: r.status });
      return 'not-completed';
    }
    const owner = await this.ownerOf(r);
    if (!owner) return 'not-on-record';
    const at = this.d.clock.now();
    const { recording, created } = await this.d.store.upsert({
      owner,
      recordingSid: r.recordingSid,
      kind: r.kind,
      seconds: r.seconds ?? null,
      channels: r.channels ?? null,
      mediaUrl: r.recordingUrl,
      at,
      deleteAfter: deleteAfter(at, this.d.retentionDays),
    });
    if (created) log.info('recording kept', { callId: owner.callId, kind: r.kind, seconds: r.seconds, channels: r.channels });
    return recording;
  }

  private async ownerOf(r: RecordingReport): Promise<RecordingOwner | null> {
    if (r.where.attemptId) {
      const o = await this.d.store.ownerOfAttempt(r.where.attemptId);
      if (o && (!r.where.callId || o.callId === r.where.callId)) return o;
    }
    if (r.where.callbackAttemptId) {
      const o = await this.d.store.ownerOfCallbackAttempt(r.where.callbackAttemptId);
      if (o) return o;
    }
    const bySid = await this.d.store.ownerOfCallSid(r.callSid);
    if (bySid) return bySid;
    // A voice message's callback names its call; its CallSid is the caller's leg, so this is rare.
    if (r.where.callId) return { callId: r.where.callId, agentId: null, hotline: null };
    return null;
  }

  /** The recording a call's player plays: the one asked for, else the call's first (its conversation). */
  async forCall(callId: string, recordingId?: string): Promise<Recording> {
    const all = await this.d.store.ofCall(callId);
    const r = recordingId ? all.find((x) => x.id === recordingId) : all[0];
    if (!r) throw new NotFoundError(recordingId ? `call ${callId} has no recording ${recordingId}` : `call ${callId} has no recording`);
    return r;
  }

  /** Audits a request for the audio if it is a new listen (src/domain/recording-rules.ts, isNewListen), not a seek within one. */
  async requested(r: Recording, range: string | undefined, actor: string, ip: string | null): Promise<void> {
    const now = this.d.clock.now();
    const last = startsAtBeginning(range) ? null : await this.d.store.lastListen(r.id, actor);
    if (isNewListen(range, last, now)) await this.listened(r, actor, ip);
  }

  async listened(r: Recording, actor: string, ip: string | null): Promise<void> {
    const at = this.d.clock.now();
    await this.d.store.addListen({ recordingId: r.id, callId: r.callId, actor, ip, at });
    await this.d.audit.record({ actor, action: 'recording.listen', target: r.callId, detail: { recordingId: r.id, ip }, at });
  }

  async hold(callId: string, reason: string, by: string): Promise<Recording[]> {
    const held = await this.d.store.hold(callId, reason, by);
    if (held.length === 0) await this.nothingToChange(callId);
    await this.d.audit.record({ actor: by, action: 'recording.hold', target: callId, detail: { reason, recordings: held.map((r) => r.id) }, at: this.d.clock.now() });
    return held;
  }

  async release(callId: string, by: string): Promise<Recording[]> {
    const released = await this.d.store.release(callId);
    if (released.length === 0) await this.nothingToChange(callId);
    await this.d.audit.record({ actor: by, action: 'recording.release', target: callId, detail: { recordings: released.map((r) => r.id) }, at: this.d.clock.now() });
    return released;
  }

  private async nothingToChange(callId: string): Promise<never> {
    const all = await this.d.store.ofCall(callId);
    if (all.length === 0) throw new NotFoundError(`call ${callId} has no recording`);
    throw new ConflictError(`call ${callId}'s recordings are ${[...new Set(all.map((r) => r.status))].join(', ')}: nothing to change`);
  }

  /** A link that plays one call's recording for `holder` (an agent's own call, a console page's player) until it expires. */
  listenLink(callId: string, holder: { agentId: string } | { accountId: string }, ttlHours = this.d.linkTtlHours): { url: string; token: string; expiresAt: Date } {
    const expiresAt = new Date(this.d.clock.now().getTime() + ttlHours * 3_600_000);
    const who = 'agentId' in holder ? `agent:${holder.agentId}` : `account:${holder.accountId}`;
    const token = signLink(this.d.linkSecret, { purpose: RECORDING_LINK_PURPOSE, subject: callId, agentId: who, expiresAt });
    return { url: `${this.d.publicBaseUrl}/api/calls/${callId}/recording?token=${encodeURIComponent(token)}`, token, expiresAt };
  }

  /**
   * The retention sweep: each recording past its date, not held and not in an open complaint
   * case, is deleted at Twilio and marked deleted, and the deletion audited. One Twilio could not
   * delete is left for the next run.
   */
  async sweep(limit = 200): Promise<{ deleted: number; failed: number }> {
    const now = this.d.clock.now();
    let deleted = 0;
    let failed = 0;
    for (const r of await this.d.store.due(now, limit)) {
      const gone = await this.d.media.delete(r.recordingSid).catch(() => false);
      if (!gone) {
        failed++;
        this.d.logger.warn('recording retention: Twilio did not delete the recording; trying again next run', { recordingSid: r.recordingSid, callId: r.callId });
        continue;
      }
      if (!(await this.d.store.markDeleted(r.id, now))) continue;
      deleted++;
      await this.d.audit.record({ actor: RETENTION_ACTOR, action: 'recording.delete', target: r.callId, detail: { recordingId: r.id, recordingSid: r.recordingSid, createdAt: r.createdAt.toISOString() }, at: now });
    }
    if (deleted > 0 || failed > 0) this.d.logger.info('recording retention sweep', { deleted, failed });
    return { deleted, failed };
  }
}
