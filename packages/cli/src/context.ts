import { mkdir } from 'node:fs/promises';
import { openFerry, precompiledValidator, type Ferry, type SqlDriver } from '@ferry/client';
import { ferrySchema, type ferryTables } from '@ferry/protocol';
import { compiledValidator, fileTokenStore, nodeHttp, openNodeDriver } from '@ferry/client/node';
import { protocolChecks } from '@ferry/client/precompiled';
import { notFound, usage } from './errors.ts';
import { dataDir, defaultDbPath, pathsFor, type FerryPaths } from './paths.ts';

/** Options every command that opens the local database accepts. */
export interface DbOptions {
  db?: string;
  insecure?: boolean;
}

/** The engine with Ferry's own tables. */
export type NotesFerry = Ferry<typeof ferryTables>;

/** An open engine on the chosen database, and its files. */
export interface Session {
  ferry: NotesFerry;
  /** The engine's database (owned by `ferry`; only for read-only progress queries). */
  driver: SqlDriver;
  paths: FerryPaths;
}

/** Opens the engine on `--db` (or the default path), creating the folder on first use. */
export async function openSession(
  opts: DbOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Session> {
  const paths = pathsFor(opts.db ?? env.FERRY_DB ?? defaultDbPath(env));
  await mkdir(dataDir(paths), { recursive: true, mode: 0o700 });
  const driver = await openNodeDriver(paths.db);
  try {
    const ferry = await openFerry({
      ...ferrySchema,
      driver,
      tokenStore: fileTokenStore(paths.token),
      allowInsecure: opts.insecure === true,
      // Node's own http: fetch loads undici and compiles its WebAssembly parser on first use.
      http: nodeHttp,
      // The checks generated at build time, so a command compiles none; any schema they were not
      // generated from is compiled (Node has no CSP), which reads large pages faster than the
      // interpreter.
      validator: precompiledValidator(protocolChecks, compiledValidator),
    });
    return { ferry, driver, paths };
  } catch (err) {
    await driver.close();
    throw err;
  }
}

/** Runs `fn` with an open session and always closes it. */
export async function withSession<T>(opts: DbOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await openSession(opts);
  try {
    return await fn(session);
  } finally {
    await session.ferry.close();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A full note id from what the user typed: the id itself, or an unambiguous prefix of one. */
export async function resolveNoteId(ferry: NotesFerry, typed: string): Promise<string> {
  const wanted = typed.trim().toLowerCase();
  if (UUID.test(wanted)) return wanted;
  if (!/^[0-9a-f-]{4,}$/.test(wanted))
    throw usage(
      `not a note id: ${JSON.stringify(typed)} (give the id, or at least its first 4 characters)`,
    );
  const matches = (await ferry.tables.notes.list({ deleted: true })).filter((n) =>
    n.id.startsWith(wanted),
  );
  if (matches.length === 0) throw notFound(`no note with id ${typed}`);
  if (matches.length > 1)
    throw usage(`id prefix ${typed} matches ${matches.length} notes; give more characters`);
  return matches[0]!.id;
}
