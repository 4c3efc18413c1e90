/**
 * Recordings (R12): who may listen, how long they are kept, and the Range a listener asked for.
 *   available  kept until delete_after, then deleted at Twilio by the retention sweep
 *   held       a supervisor's hold: kept until released, whatever its date
 *   deleted    gone at Twilio; the row stays, with when (GET answers 410)
 * A call in a complaint case still open is kept too (the sweep skips it), without being marked held.
 * Time is an argument; nothing here does I/O.
 */
export const RECORDING_KINDS = ['conversation', 'callback', 'voice-message'] as const;
export type RecordingKind = (typeof RECORDING_KINDS)[number];
export type RecordingStatus = 'available' | 'held' | 'deleted';

/** Console roles that may listen to any call's recordings; a viewer never may, an agent only their own by a signed link. */
export const LISTEN_ROLES: readonly string[] = ['admin', 'supervisor', 'qc'];
export const mayListen = (role: string) => LISTEN_ROLES.includes(role);

/** Roles that may put a recording on hold and release it. */
export const mayHold = (role: string) => role === 'admin' || role === 'supervisor';

export function deleteAfter(createdAt: Date, retentionDays: number): Date {
  return new Date(createdAt.getTime() + retentionDays * 86_400_000);
}

/** The purpose of the signed links that open one call's recording (an agent's own call, a console page's player). */
export const RECORDING_LINK_PURPOSE = 'recording';

/**
 * A `Range: bytes=...` header as passed on to Twilio: only one range, well formed; anything else
 * is dropped (the whole file is sent, as HTTP allows).
 */
export function passableRange(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const v = header.trim();
  return /^bytes=(\d+-\d*|-\d+)$/.test(v) ? v : undefined;
}

/** A request for the audio from its first byte (no Range, or one from byte 0): a listen starts. */
export const startsAtBeginning = (range: string | undefined): boolean => !range || /^bytes=0-/.test(range);

/** How long after a listen began a request for another part of it (a seek) is the same listen. */
export const LISTEN_SPAN_MINUTES = 60;

/**
 * Whether a request for a recording's audio is a new listen, to audit: one that starts at the
 * beginning (no Range, or one from byte 0) always is; one for a later part is a seek within a
 * listen the same person began in the last LISTEN_SPAN_MINUTES, else a listen (or a download in
 * pieces) of its own.
 */
export function isNewListen(range: string | undefined, lastListenAt: Date | null, now: Date): boolean {
  if (startsAtBeginning(range)) return true;
  return lastListenAt === null || now.getTime() - lastListenAt.getTime() > LISTEN_SPAN_MINUTES * 60_000;
}

/** What Twilio's recording status callback said, as the recordings feature takes it (and the spool keeps it during an outage). */
export interface RecordingReport {
  /** From the callback URL's query (signed with the rest): the call and attempt, a callback attempt, or a voice message's call. */
  where: { callId?: string; attemptId?: string; callbackAttemptId?: string };
  kind: RecordingKind;
  callSid: string;
  recordingSid: string;
  recordingUrl: string;
  status: string;
  seconds?: number;
  channels?: number;
}
