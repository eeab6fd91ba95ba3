import type { Session } from './context.ts';

/** How far a long sync has got. */
export interface SyncProgress {
  pushed: number;
  pulled: number;
}

/**
 * Progress for long syncs on stderr: rewritten in place on a terminal, one line per step when
 * forced on (`--progress`) into a pipe or file, silent otherwise.
 */
export function progressReporter(out: NodeJS.WriteStream, enabled: boolean): { update: (p: SyncProgress) => void; done: () => void } {
  let shown = false;
  return {
    update: (p) => {
      if (!enabled) return;
      const text = `syncing: ${p.pushed} pushed, ${p.pulled} pulled`;
      if (out.isTTY) out.write(`\r\u001b[2K${text}`);
      else out.write(`${text}\n`);
      shown = true;
    },
    done: () => {
      if (enabled && shown && out.isTTY) out.write('\n');
    },
  };
}

/**
 * Feeds `update` while a sync runs: after each applied round (the engine's 'changed' events) and
 * twice a second. Pushed = entries gone from the outbox since the start; pulled = rows changed by
 * the server. Returns the function that stops it.
 */
export function watchProgress(session: Session, update: (p: SyncProgress) => void): () => void {
  const startPending = session.ferry.status().pending;
  let pulled = 0;
  let stopped = false;
  const tick = (): void => {
    void session.driver
      .transaction((tx) => tx.all<{ n: number }>('SELECT count(*) AS n FROM sync_queue'))
      .then(([row]) => {
        if (!stopped) update({ pushed: Math.max(0, startPending - (row?.n ?? 0)), pulled });
      })
      .catch(() => undefined);
  };
  const unsubscribe = session.ferry.subscribe((e) => {
    if (e.type === 'changed' && e.origin === 'remote') {
      pulled += e.ids.length;
      tick();
    }
  });
  const timer = setInterval(tick, 500);
  return () => {
    stopped = true;
    clearInterval(timer);
    unsubscribe();
  };
}
