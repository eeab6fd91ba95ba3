/**
 * Which tab holds the database: the one holding an exclusive Web Lock (`navigator.locks`) for as
 * long as it is open. The SQLite pool on OPFS can be opened by one worker at a time, so every
 * other tab follows it (`follower.ts`) and queues for the lock; when the holder closes, the
 * browser hands the lock to the next tab, which opens the database and leads.
 */
import type { AppShell } from '@ferry/ui';
import { followLeader, type Follower } from './follower.ts';
import { DB_LOCK } from './messages.ts';

export type TabRole = 'leader' | 'follower';

export interface TabsOptions {
  /** Opens the database and the engine in this tab, and serves the other tabs. */
  lead(): Promise<AppShell>;
  /** The shell this tab runs on now, and what it is; called again when the role changes. */
  show(shell: AppShell, role: TabRole): void;
  fail(e: unknown): void;
  deviceName: string;
}

/** Starts this tab as the leader if no tab leads, else as a follower queued to take over. */
export function startTabs(win: Window, opts: TabsOptions): void {
  let follower: Follower | null = null;
  let leading = false;

  const lead = async (): Promise<never> => {
    leading = true;
    follower?.stop();
    follower = null;
    try {
      opts.show(await opts.lead(), 'leader');
    } catch (e) {
      opts.fail(e);
    }
    // Held until the tab closes.
    return new Promise<never>(() => undefined);
  };

  void navigator.locks
    .request(DB_LOCK, { mode: 'exclusive', ifAvailable: true }, async (lock) => {
      if (lock) return lead();
      // Queue for the lock at once: if the leader closes before it answers, this tab leads.
      void navigator.locks.request(DB_LOCK, { mode: 'exclusive' }, lead).catch((e) => opts.fail(e));
      const f = await followLeader(win, opts.deviceName);
      if (leading) f.stop();
      else {
        follower = f;
        opts.show(f.shell, 'follower');
      }
      return null;
    })
    .catch((e: unknown) => opts.fail(e));
}
