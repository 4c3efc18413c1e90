import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interceptAfterCallRest, rates } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const ANONYMOUS = '+266696687';

describe('customer files of callers who withheld their number', () => {
  let h: Hotline;

  beforeEach(async () => {
    h = await startHotline();
    interceptAfterCallRest(h);
    await h.api.addAgent('Agent A', A);
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const answered = (from: string) => h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: { does: 'accept' } }, onGather: rates({ digits: '5' }) });

  it('are never made: every hidden caller shares the placeholder, so none is filed or a repeat caller', async () => {
    await answered(ANONYMOUS);
    h.clock.advance(600);
    await answered(ANONYMOUS);
    await answered('restricted');
    const calls = (await h.api.get('/api/calls')).body.calls as Record<string, unknown>[];
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call).toMatchObject({ outcome: 'answered', customerId: null, repeatCaller: false });
    expect((await h.api.get(`/api/customers/${encodeURIComponent(ANONYMOUS)}`)).status).toBe(404);
    expect((await h.api.get('/api/customers/restricted')).status).toBe(404);

    // A caller who shows their number is filed as before.
    await answered('+8613911112222');
    expect((await h.api.get('/api/calls')).body.calls[0]).toMatchObject({ customerId: expect.any(String) });
  });
});
