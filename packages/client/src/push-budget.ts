import { Limits, type TableDecl } from '@ferry/protocol';
import { setAside, type ApplySummary } from './apply.ts';
import type { SqlDriver } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import type { BatchLimits, SizedEntry } from './outbox.ts';

/**
 * Bytes of mutations one push aims to carry: half the protocol's default body limit (8 MiB), so
 * the envelope (under 1 KiB) always fits and a failed request wastes at most this much. Larger
 * batches would save nothing measurable: at this size a request's fixed costs are noise.
 * A single mutation at the field limits is at most 6.3 MiB of JSON (1 MiB of content whose every
 * byte escapes to `\u00XX`, a 1 000-character title likewise): it is sent alone, and fits under
 * the default limit.
 */
export const PUSH_BUDGET_BYTES = 4 * 1024 * 1024;

/**
 * A network failure of a batch at least this large may be the server refusing its size: a 413
 * sent while the client is still writing the body often arrives as a reset (EPIPE,
 * ECONNRESET). A failure of a smaller batch is taken for the network's: such a body is written
 * whole at once, before the server can answer, so its 413 arrives as a 413.
 */
export const RESET_SHRINK_BYTES = 64 * 1024;

/** What to do after a push failed. */
type Recovery =
  /** Send again now: the batch limits have shrunk. */
  | { kind: 'retry' }
  /** Set this entry aside as rejected locally, then go on. */
  | { kind: 'setAside'; entry: SizedEntry; code: string; message: string; verify: boolean }
  /** Not a push problem: report it. */
  | { kind: 'fail' };

/**
 * The size of the next push, adapted to what the server refuses during one sync run:
 * - `413` for several mutations: halve the bytes (below the refused batch) and send again; for one
 *   mutation alone, nothing smaller exists: it is set aside as rejected with the server's code.
 * - a network failure of a batch above RESET_SHRINK_BYTES: halve the bytes and send again (it may
 *   have been a 413); a single mutation is not set aside on a network failure (the network may
 *   really be down): the sync fails as offline and the scheduler retries it later. Except once
 *   after each 413: the HTTP client may send the next request on the connection the server closed
 *   after its 413, and that one failure is retried at once.
 * - a whole-request `400` for several mutations: bisect by count (send the first half; the other
 *   half follows) until the request carries one mutation; that one is set aside with the server's
 *   code and message, but only once a request without it (a one-row pull) is accepted, so a 400
 *   about the request itself (its cursor, say) never sets a good change aside.
 * Every retry sends strictly fewer mutations (but for the one resend after a 413), and every
 * set-aside removes one, so a run always ends.
 * A learned byte budget lasts for the run; count returns to the maximum after a set-aside.
 */
export class PushBudget {
  private bytes = PUSH_BUDGET_BYTES;
  private count: number = Limits.maxMutationsPerRequest;
  /** A 413 came, and no network failure since: the connection it closed may be reused once. */
  private afterRefusal = false;

  limits(): BatchLimits {
    return { count: this.count, bytes: this.bytes };
  }

  /** Decides what to do after `batch` failed with `e`. */
  afterFailure(e: unknown, batch: readonly SizedEntry[]): Recovery {
    const [first] = batch;
    if (!(e instanceof FerryError) || first === undefined) return { kind: 'fail' };
    const size = batch.reduce((n, x) => n + x.bytes, 0);
    if (e.details.status === 413) {
      this.afterRefusal = true;
      if (batch.length > 1) return this.shrinkTo(Math.floor(size / 2));
      const message = `this change is larger than the server accepts in one request: ${first.bytes} bytes as JSON (server: ${e.message})`;
      return {
        kind: 'setAside',
        entry: first,
        code: e.details.code ?? 'payload_too_large',
        message,
        verify: false,
      };
    }
    // 408: the server gave up waiting for the body, which a smaller one may beat.
    if (e.kind === ErrorKind.network || e.details.status === 408) {
      const staleConnection = this.afterRefusal;
      this.afterRefusal = false;
      if (batch.length > 1 && size >= RESET_SHRINK_BYTES)
        return this.shrinkTo(Math.floor(size / 2));
      return staleConnection ? { kind: 'retry' } : { kind: 'fail' };
    }
    if (e.details.status === 400) {
      if (batch.length > 1) {
        this.count = Math.ceil(batch.length / 2);
        return { kind: 'retry' };
      }
      return { kind: 'setAside', entry: first, code: e.code, message: e.message, verify: true };
    }
    return { kind: 'fail' };
  }

  /** A set-aside ended a bisection: full batches again. */
  afterSetAside(): void {
    this.count = Limits.maxMutationsPerRequest;
  }

  private shrinkTo(bytes: number): Recovery {
    this.bytes = Math.max(1, Math.min(this.bytes, bytes));
    return { kind: 'retry' };
  }
}

/** What `recoverPush` needs from the sync run. */
export interface RecoverDeps {
  driver: SqlDriver;
  tables: ReadonlyMap<string, TableDecl>;
  now: () => number;
  /** A request without mutations (a one-row pull): throws if the server refuses it too. */
  verify: () => Promise<unknown>;
  onApplied?: (summary: ApplySummary) => void;
}

/**
 * Handles a failed push as PushBudget decides. Returns true when the run should go on (the next
 * batch is smaller, or an entry was set aside), false when `e` is to be reported. Throws the
 * verification's error when a request without the suspect mutation fails too.
 */
export async function recoverPush(
  e: unknown,
  batch: readonly SizedEntry[],
  budget: PushBudget,
  deps: RecoverDeps,
): Promise<boolean> {
  const step = budget.afterFailure(e, batch);
  if (step.kind === 'fail') return false;
  if (step.kind === 'retry') return true;
  if (step.verify) await deps.verify();
  const nowIso = new Date(deps.now()).toISOString();
  const summary = await deps.driver.transaction((tx) =>
    setAside(tx, deps.tables, step.entry, step.code, step.message, nowIso),
  );
  budget.afterSetAside();
  deps.onApplied?.(summary);
  return true;
}
