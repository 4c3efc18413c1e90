import { describe, expect, it } from 'vitest';
import { CallerMoves } from '../../src/routing/caller-moves';
import { createLogger } from '../../src/logger';

const logger = createLogger('error', true);
const twilioError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });

/** A REST API answering each try in turn: a status to fail with, 'hang' to never answer, or 'ok'. */
function api(...answers: (number | 'hang' | 'ok')[]) {
  const tries: string[] = [];
  return {
    tries,
    redirectCall: async (callSid: string) => {
      tries.push(callSid);
      const a = answers.shift() ?? 'ok';
      if (a === 'hang') return new Promise<void>(() => undefined);
      if (a !== 'ok') throw twilioError(a);
    },
  };
}

const limits = { timeoutMs: 20, tries: 3, backoffMs: 1 };

describe('moving a waiting caller through the REST API', () => {
  it('gives a try that does not answer in time up, and tries again', async () => {
    const twilio = api('hang', 'ok');
    const moves = new CallerMoves({ ...twilio, logger, ...limits });
    const failures: unknown[] = [];
    await moves.send('CA1', 'https://x/hold', async (err) => void failures.push(err));
    expect(twilio.tries).toEqual(['CA1', 'CA1']);
    expect(failures).toEqual([]);
    expect(moves.outcomes()).toEqual({ moved: 1, retried: 1, gone: 0, failed: 0 });
  });

  it('stops at a 404 (the caller is gone) and hands the failure back once', async () => {
    const twilio = api(404);
    const moves = new CallerMoves({ ...twilio, logger, ...limits });
    const failures: unknown[] = [];
    await moves.send('CA1', 'https://x/hold', async (err) => void failures.push(err));
    expect(twilio.tries).toHaveLength(1);
    expect(failures).toMatchObject([{ status: 404 }]);
    expect(moves.outcomes()).toMatchObject({ gone: 1, retried: 0 });
  });

  it('gives up after its tries, and a failure handler that throws is only logged', async () => {
    const twilio = api(503, 'hang', 500, 'ok');
    const moves = new CallerMoves({ ...twilio, logger, ...limits });
    await moves.send('CA1', 'https://x/hold', async () => {
      throw new Error('database down');
    });
    expect(twilio.tries).toHaveLength(3);
    expect(moves.outcomes()).toEqual({ moved: 0, retried: 2, gone: 0, failed: 1 });
    await moves.settled();
  });
});
