import twilio from 'twilio';
import type { Clock } from '../../src/domain/clock';
import type { Transport } from '../../src/simulator/twilio-model';

/**
 * How Twilio delivers each webhook of a load run, and what it got back. Twilio retries a request
 * once when the connection fails (its default connection override `rc=1&rp=ct`, see
 * https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides) and never on an answer, whatever its status. Every answer is
 * judged as Twilio would: a 5xx, a body that is not TwiML, or no answer at all (connection failed
 * twice, or 15 s passed) is a fault. After no answer to a request for the caller's TwiML, Twilio
 * asks the number's Voice Fallback URL (/webhooks/voice/fallback) and plays that, and the call
 * goes on to its end (its status callback still comes); a status callback is simply lost, and
 * the agent's whisper leg fails.
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
  /** Of those, requests for the caller's TwiML answered by the Voice Fallback URL instead. */
  fellBack: number;
  /** The first few faults, for the report. */
  examples: string[];
  /** Milliseconds to each answer (Twilio's retry and fallback included), by route. */
  latency: Map<string, number[]>;
}

export function newDeliveryLog(): DeliveryLog {
  return { arrivals: new Map(), requests: 0, retried: 0, serverErrors: 0, notTwiml: 0, clientErrors: 0, silence: 0, fellBack: 0, examples: [], latency: new Map() };
}

const connectionFailed = (err: unknown) => err instanceof TypeError && /fetch failed/.test(err.message);

/** Requests whose answer is not TwiML for the caller: status callbacks, and the agent's whisper leg. */
const NO_FALLBACK = new Set(['/webhooks/voice/status', '/webhooks/voice/leg-status', '/webhooks/voice/screen', '/webhooks/voice/screen-result']);

export function twilioDelivery(log: DeliveryLog, time: Clock, authToken: string): (inner: Transport) => Transport {
  const note = (what: string) => {
    if (log.examples.length < 8) log.examples.push(what.slice(0, 240));
  };
  return (inner) => async (url, params, signature) => {
    const route = new URL(url).pathname;
    if (route === '/webhooks/voice/incoming' && params.CallSid && !log.arrivals.has(params.CallSid)) log.arrivals.set(params.CallSid, time.now());
    log.requests++;
    const started = performance.now();
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
      if (NO_FALLBACK.has(route) || route.includes('callback-recording')) throw err;
      log.fellBack++;
      const fallbackUrl = new URL('/webhooks/voice/fallback', url).toString();
      const fallbackParams = { ...params, ErrorCode: '11200', ErrorUrl: url };
      answer = await inner(fallbackUrl, fallbackParams, twilio.getExpectedTwilioSignature(authToken, fallbackUrl, fallbackParams));
    }
    log.latency.set(route, [...(log.latency.get(route) ?? []), performance.now() - started]);
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
