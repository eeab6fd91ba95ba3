import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the CLI keeps its files. The database path is the one thing the user chooses (`--db`);
 * everything else sits next to it, so two `--db` values are two fully separate devices.
 */
export interface FerryPaths {
  /** The SQLite database (the engine's rows, outbox and state). */
  db: string;
  /** The auth token, mode 0600. */
  token: string;
  /** CLI settings that are not the engine's business (the server URL until the engine knows it). */
  config: string;
}

/** The default database: `$XDG_DATA_HOME/ferry/ferry.db`, else `~/.local/share/ferry/ferry.db`. */
export function defaultDbPath(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  const base = xdg !== undefined && xdg.startsWith('/') ? xdg : join(home, '.local', 'share');
  return join(base, 'ferry', 'ferry.db');
}

/** The files that belong to one database. */
export function pathsFor(db: string): FerryPaths {
  const abs = resolve(db);
  return { db: abs, token: `${abs}.token`, config: `${abs}.json` };
}

/** The folder the database lives in (created on first use). */
export function dataDir(p: FerryPaths): string {
  return dirname(p.db);
}
