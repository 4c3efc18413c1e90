import type { Clock } from '../../src/domain/clock';
import type { Transport } from '../../src/simulator/twilio-model';

/**
 * How Twilio delivers each webhook of a load run, and what it got back. Twilio retries a request
 * once when the connection fails (its default connection override `rc=1&rp=ct`, see
 * ../shared/twilio-notes.md §4.4) and never on an answer, whatever its status. Every answer is
 * judged as Twilio would: a 5xx, a body that is not TwiML, or no answer at all (connection failed
 * twice, or 15 s passed) is a fault the caller hears as silence or "an application error".
 */
export interface DeliveryLog {
  /** Each call's first incoming webhook: when it arrived (the run's clock). */
  arrivals: Map<string, Date>;
  requests: number;
  /** Requests whose connection failed once and went again. */
  retried: number;
  serverErrors: number;
  notTwiml: number;
  clientErrors: number;
  /** No answer after Twilio's retry, or none within 15 s. */
  silence: number;
  /** The first few faults, for the report. */
  examples: string[];
}

export function newDeliveryLog(): DeliveryLog {
  return { arrivals: new Map(), requests: 0, retried: 0, serverErrors: 0, notTwiml: 0, clientErrors: 0, silence: 0, examples: [] };
}

const connectionFailed = (err: unknown) => err instanceof TypeError && /fetch failed/.test(err.message);

export function twilioDelivery(log: DeliveryLog, time: Clock): (inner: Transport) => Transport {
  const note = (what: string) => {
    if (log.examples.length < 8) log.examples.push(what.slice(0, 240));
  };
  return (inner) => async (url, params, signature) => {
    const route = new URL(url).pathname;
    if (route === '/webhooks/voice/incoming' && params.CallSid && !log.arrivals.has(params.CallSid)) log.arrivals.set(params.CallSid, time.now());
    log.requests++;
    let answer;
    try {
      try {
        answer = await inner(url, params, signature);
      } catch (err) {
        if (!connectionFailed(err)) throw err;
        log.retried++;
        answer = await inner(url, params, signature);
      }
    } catch (err) {
      log.silence++;
      note(`${route}: no answer (${err instanceof Error ? err.message : String(err)})`);
      throw err;
    }
    if (answer.status >= 500) {
      log.serverErrors++;
      note(`${route}: ${answer.status} ${answer.text}`);
    } else if (answer.status >= 400) {
      log.clientErrors++;
      note(`${route}: ${answer.status} ${answer.text}`);
    } else if (answer.status !== 204 && !/^(<\?xml[^>]*\?>)?\s*<Response(\s[^>]*)?(\/>|>)/.test(answer.text)) {
      log.notTwiml++;
      note(`${route}: ${answer.status} not TwiML: ${answer.text}`);
    }
    return answer;
  };
}
