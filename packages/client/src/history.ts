import { Revision, RevisionList, type TableDecl } from '@ferry/protocol';
import type { TokenStore } from './api.ts';
import type { Checks } from './checks.ts';
import type { SqlDriver } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import type { Transport } from './http.ts';
import { StateKey, getState } from './state.ts';

/**
 * A row's history, kept by the server (`GET /v1/tables/{table}/{id}/revisions`): it needs the
 * network, unlike everything else the engine reads. Restoring a revision is a local edit.
 */

/** What reading the history needs from the engine. */
export interface HistoryDeps {
  driver: SqlDriver;
  transport: Transport;
  tokenStore: TokenStore;
  checks: Checks;
}

async function connection(deps: HistoryDeps): Promise<{ server: string; token: string }> {
  const token = await deps.tokenStore.get();
  if (!token) throw new FerryError(ErrorKind.unauthorized, 'not signed in');
  const server = await deps.driver.transaction((tx) => getState(tx, StateKey.serverUrl));
  if (!server) throw new FerryError(ErrorKind.noServer, 'no server configured: sign in first');
  return { server, token };
}

/** A GET of the history API; its 404 (no such row or revision of the caller's) is `not_found`. */
export async function serverGet(deps: HistoryDeps, path: string): Promise<unknown> {
  const { server, token } = await connection(deps);
  try {
    return await deps.transport.call<unknown>(server, 'GET', path, { token });
  } catch (e) {
    if (e instanceof FerryError && e.details.status === 404)
      throw new FerryError(ErrorKind.notFound, e.message, { ...e.details, cause: e });
    throw e;
  }
}

function checked<T>(check: { Check(v: unknown): boolean }, v: unknown, what: string): T {
  if (!check.Check(v))
    throw new FerryError(ErrorKind.protocol, `malformed ${what} from the server`);
  return v as T;
}

/** A page of a row's revisions, newest first (`before`: only older than that version). */
export async function fetchHistory(
  deps: HistoryDeps,
  table: TableDecl,
  id: string,
  opts: { before?: number; limit?: number } = {},
): Promise<RevisionList> {
  const q = new URLSearchParams();
  if (opts.before !== undefined) q.set('before', String(opts.before));
  if (opts.limit !== undefined) q.set('limit', String(opts.limit));
  const query = q.size > 0 ? `?${q.toString()}` : '';
  const path = `/v1/tables/${table.name}/${encodeURIComponent(id)}/revisions${query}`;
  return checked(deps.checks.of(RevisionList), await serverGet(deps, path), 'history');
}

/** One revision of a row. */
export async function fetchRevision(
  deps: HistoryDeps,
  table: TableDecl,
  id: string,
  version: number,
): Promise<Revision> {
  const path = `/v1/tables/${table.name}/${encodeURIComponent(id)}/revisions/${version}`;
  return checked(deps.checks.of(Revision), await serverGet(deps, path), 'revision');
}

/**
 * The fields a restore writes back: the client-written ones a user edits (not the creation
 * time, not the soft delete, not the modification time, which the edit sets to now).
 */
export function restorableFields(t: TableDecl, rev: Revision): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(t.fields)) {
    if (f.writtenBy !== 'client' || name === t.deletedField) continue;
    if (name === t.timestamps?.createdAt || name === t.timestamps?.updatedAt) continue;
    if (Object.hasOwn(rev.fields, name)) out[name] = rev.fields[name];
  }
  return out;
}
