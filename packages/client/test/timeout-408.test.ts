import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../src/errors.ts';
import { PushBudget, RESET_SHRINK_BYTES } from '../src/push-budget.ts';
import type { SizedEntry } from '../src/outbox.ts';

/** A 408 (the server's request timeout: a slow upload) is retried, and a large batch shrinks. */
describe('408 request_timeout', () => {
  const body = JSON.stringify({ error: { code: 'request_timeout', message: 'too slow' } });

  it('is retryable and not a reason to stop syncing', () => {
    const e = errorFromResponse(408, body, {}, 0);
    expect(e.retryable).toBe(true);
    expect(e.signsOut).toBe(false);
  });

  it('makes the next batch smaller when the refused one was large', () => {
    const budget = new PushBudget();
    const entry = (seq: number): SizedEntry => ({ seq, bytes: RESET_SHRINK_BYTES }) as SizedEntry;
    const batch = [entry(1), entry(2), entry(3), entry(4)];
    const r = budget.afterFailure(errorFromResponse(408, body, {}, 0), batch);
    expect(r.kind).toBe('retry');
    expect(budget.limits().bytes).toBeLessThan(4 * RESET_SHRINK_BYTES);
  });
});
