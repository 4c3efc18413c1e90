import { AppError } from '../errors';

/**
 * A recording's media at Twilio's REST API, with the account's credentials: fetched for a
 * listener (the Range passed on) and deleted by the retention sweep. The address is built from
 * the configured base URL and the recording's SID, never taken from a callback, and never leaves
 * the server: errors name the SID, not the URL.
 */
export class TwilioMedia {
  private readonly auth: string;
  private readonly base: string;

  constructor(o: { accountSid: string; authToken: string; apiBaseUrl?: string }) {
    this.auth = 'Basic ' + Buffer.from(`${o.accountSid}:${o.authToken}`).toString('base64');
    this.base = `${(o.apiBaseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '')}/2010-04-01/Accounts/${o.accountSid}/Recordings`;
  }

  /** The audio (MP3 unless Twilio says otherwise in Content-Type), as Twilio answers it: 200, 206 or 416. */
  async fetch(recordingSid: string, range: string | undefined, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/${recordingSid}.mp3`, { headers: { Authorization: this.auth, ...(range ? { Range: range } : {}) }, signal });
    } catch {
      throw new AppError(502, 'twilio_unreachable', `Twilio could not be reached for recording ${recordingSid}`);
    }
    if (res.status === 200 || res.status === 206 || res.status === 416) return res;
    await res.body?.cancel();
    if (res.status === 404) throw new AppError(404, 'not_found', `Twilio no longer has recording ${recordingSid}`);
    throw new AppError(502, 'twilio_error', `Twilio answered ${res.status} for recording ${recordingSid}`);
  }

  /** Deletes the recording at Twilio: true when it is gone (204, or 404: gone already). */
  async delete(recordingSid: string): Promise<boolean> {
    const res = await fetch(`${this.base}/${recordingSid}.json`, { method: 'DELETE', headers: { Authorization: this.auth } });
    await res.body?.cancel();
    return res.status === 204 || res.status === 200 || res.status === 404;
  }
}
