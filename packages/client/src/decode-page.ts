import {
  COMPACT_VERSION,
  CompactDecodeError,
  CompactSyncResponse,
  SyncResponse,
  decodeCompact,
  type Mutation,
} from '@ferry/protocol';
import type { TSchema } from '@sinclair/typebox';
import { lazyCheck, type Check } from './lazy-check.ts';
import { ErrorKind, FerryError } from './errors.ts';

const v1Check = lazyCheck(SyncResponse);
const compactCheck = lazyCheck(CompactSyncResponse);

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
export function readSyncResponse(res: unknown, sent: readonly Mutation[]): SyncResponse {
  const compact = (res as { compact?: unknown } | null)?.compact;
  if (compact === undefined) {
    if (!v1Check.Check(res)) throw malformed(v1Check, res);
    return res;
  }
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
