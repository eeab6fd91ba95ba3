/** Tiny assertions without a test framework, so the shared suites run in a webview too. */

/** Throws unless `cond`. */
export function ok(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`check failed: ${message}`);
}

/** Throws unless the JSON forms of `actual` and `expected` are equal. */
export function equal(actual: unknown, expected: unknown, message: string): void {
  const a = JSON.stringify(actual, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  const e = JSON.stringify(expected, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  if (a !== e) throw new Error(`check failed: ${message}\n  expected ${e}\n  actual   ${a}`);
}

/** Awaits `p` and throws unless it rejects; returns the rejection. */
export async function rejects(p: Promise<unknown>, message: string): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error(`check failed: ${message} (expected a rejection)`);
}

/** One named check of a shared suite. */
export interface Check<M> {
  name: string;
  run(make: M): Promise<void>;
}
