import {
  COMPACT_VERSION,
  CompactDecodeError,
  CompactSyncResponse,
  SyncResponse,
  decodeCompact,
  type Mutation,
} from '@ferry/protocol';
import type { TSchema } from '@sinclair/typebox';
import type { Check, Checks } from './checks.ts';
import { ErrorKind, FerryError } from './errors.ts';

function malformed(check: Check<TSchema>, res: unknown): FerryError {
  const first = check.Errors(res).First();
  return new FerryError(
    ErrorKind.protocol,
    `malformed sync response${first ? ` at ${first.path}: ${first.message}` : ''}`,
  );
}

/**
 * Checks a `/v1/sync` response and returns it in the v1 form. A compact one (the request said
 * `compact`, and the server speaks it) is decoded against the request's `sent` mutations, then
 * checked as a v1 response, so both forms pass the same checks before anything is applied. A
 * server without the extension answers v1, which is read as it is.
 */
export function readSyncResponse(
  checks: Checks,
  res: unknown,
  sent: readonly Mutation[],
): SyncResponse {
  const v1Check = checks.of(SyncResponse);
  const compact = (res as { compact?: unknown } | null)?.compact;
  if (compact === undefined) {
    if (!v1Check.Check(res)) throw malformed(v1Check, res);
    return res;
  }
  const compactCheck = checks.of(CompactSyncResponse);
  if (compact !== COMPACT_VERSION || !compactCheck.Check(res)) throw malformed(compactCheck, res);
  let decoded: SyncResponse;
  try {
    decoded = decodeCompact(res, sent);
  } catch (e) {
    if (!(e instanceof CompactDecodeError)) throw e;
    throw new FerryError(ErrorKind.protocol, `malformed sync response: ${e.message}`);
  }
  if (!v1Check.Check(decoded)) throw malformed(v1Check, decoded);
  return decoded;
}
