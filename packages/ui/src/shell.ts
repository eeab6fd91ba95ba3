/**
 * The seam between the shared UI and the shell it runs in (the Tauri desktop app, the web app):
 * the shell opens the engine and wires the sync triggers; the UI only uses what is named here.
 */
import type { Scheduler, SqlDriver } from '@ferry/client';
import type { NotesFerry } from './notes-engine.ts';

/** What a shell hands the UI once the engine is open. */
export interface AppShell {
  ferry: NotesFerry;
  sync: {
    /** Stopped on sign-out; a web tab that forwards to another tab has none of its own. */
    scheduler: Pick<Scheduler, 'stop'>;
    /** "Sync now", and after signing in: start over without waiting out a backoff. */
    restart(): void;
  };
  /** Where the session is kept, in words, for the account panel. */
  tokenStore: string;
  /** The server the sign-in form suggests. */
  defaultServer: string | null;
  /** How this device names itself when signing in ("Ferry desktop"). */
  deviceName: string;
  /** Drops the local database (after the engine is closed); the page reloads afterwards. */
  eraseLocalData(): Promise<void>;
}

/** Drops every table of a local database; the engine recreates them on the next start. */
export async function eraseTables(driver: SqlDriver): Promise<void> {
  await driver.transaction(async (tx) => {
    const tables = await tx.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    );
    for (const t of tables) await tx.exec(`DROP TABLE IF EXISTS "${t.name.replace(/"/g, '""')}"`);
  });
}
