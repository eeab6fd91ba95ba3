import type { Session } from './context.ts';

/** How far a long sync has got. */
export interface SyncProgress {
  pushed: number;
  pulled: number;
  /** Rows the pull will have brought in all, when the server says (the engine's status.progress). */
  total: number | null;
}

/**
 * Progress for long syncs on stderr: rewritten in place on a terminal, one line per step when
 * forced on (`--progress`) into a pipe or file, silent otherwise.
 */
export function progressReporter(
  out: NodeJS.WriteStream,
  enabled: boolean,
): { update: (p: SyncProgress) => void; done: () => void } {
  let shown = false;
  return {
    update: (p) => {
      if (!enabled) return;
      const text = `syncing: ${p.pushed} pushed, ${p.pulled}${p.total !== null ? ` of ${p.total}` : ''} pulled`;
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
 * twice a second. Pushed = entries gone from the outbox since the start; pulled = rows pulled so
 * far and total = rows the pull will bring in all, from the engine's status (total when the
 * server sends its position). Returns the function that stops it.
 */
export function watchProgress(session: Session, update: (p: SyncProgress) => void): () => void {
  const startPending = session.ferry.status().pending;
  let pulled = 0;
  let total: number | null = null;
  let engineCounts = false;
  let stopped = false;
  const tick = (): void => {
    void session.driver
      .transaction((tx) => tx.all<{ n: number }>('SELECT count(*) AS n FROM sync_queue'))
      .then(([row]) => {
        if (!stopped) update({ pushed: Math.max(0, startPending - (row?.n ?? 0)), pulled, total });
      })
      .catch(() => undefined);
  };
  const unsubscribe = session.ferry.subscribe((e) => {
    // The engine's count of pulled rows, and the total the server's position gives. It comes
    // before the same page's 'changed' events.
    if (e.type === 'status' && e.status.progress) {
      ({ pulled, total } = e.status.progress);
      engineCounts = true;
    }
    if (e.type === 'changed' && e.origin === 'remote') {
      if (!engineCounts) pulled += e.ids.length;
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

/** `label [####----] done/total`: a bar `width` characters wide. */
export function renderBar(label: string, done: number, total: number, width = 30): string {
  const filled = total <= 0 ? width : Math.min(width, Math.floor((done / total) * width));
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/** Redraws on a terminal at most this often (the last step is always drawn). */
const BAR_REDRAW_MS = 50;

/**
 * A progress bar on stderr for a counted job: redrawn in place on a terminal (at most every 50 ms),
 * one line per tenth of the job when forced on into a pipe or file, silent otherwise. `note`
 * prints a step that has no count (e.g. the one transaction of an import).
 */
export function barReporter(
  out: NodeJS.WriteStream,
  enabled: boolean,
): {
  update: (label: string, done: number, total: number) => void;
  note: (text: string) => void;
  done: () => void;
} {
  let lastDraw = 0;
  let lastTenth = -1;
  let open = false;
  const endLine = (): void => {
    if (open) out.write('\n');
    open = false;
  };
  return {
    update: (label, done, total) => {
      if (!enabled) return;
      const last = done >= total;
      if (out.isTTY) {
        const now = Date.now();
        if (!last && now - lastDraw < BAR_REDRAW_MS) return;
        lastDraw = now;
        out.write(`\r\u001b[2K${renderBar(label, done, total)}`);
        open = true;
        return;
      }
      const tenth = total <= 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth === lastTenth && !last) return;
      lastTenth = last ? -1 : tenth;
      out.write(`${renderBar(label, done, total)}\n`);
    },
    note: (text) => {
      if (!enabled) return;
      endLine();
      out.write(`${text}\n`);
    },
    done: () => {
      if (enabled) endLine();
    },
  };
}
