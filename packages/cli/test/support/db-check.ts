import Database from 'better-sqlite3';

/** What must hold in the database file after any crash. */
export function checkDatabase(dbPath: string): {
  pending: number;
  queuedBytes: number;
  cursor: string;
  problems: string[];
} {
  const db = new Database(dbPath);
  try {
    const problems: string[] = [];
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    const orphans = db
      .prepare(
        'SELECT count(*) AS n FROM sync_queue q WHERE NOT EXISTS (SELECT 1 FROM notes n WHERE n.id = q.record_id)',
      )
      .get() as { n: number };
    if (orphans.n > 0) problems.push(`${orphans.n} outbox entries without a row`);
    const syncedButQueued = db
      .prepare(
        'SELECT count(*) AS n FROM notes n WHERE n.synced = 1 AND EXISTS (SELECT 1 FROM sync_queue q WHERE q.record_id = n.id)',
      )
      .get() as { n: number };
    if (syncedButQueued.n > 0)
      problems.push(`${syncedButQueued.n} rows marked synced with changes still queued`);
    const entries = db.prepare('SELECT seq, hlc FROM sync_queue ORDER BY seq').all() as {
      seq: number;
      hlc: string;
    }[];
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.hlc <= entries[i - 1]!.hlc)
        problems.push(`outbox stamps out of order at seq ${entries[i]!.seq}`);
    }
    const queued = db
      .prepare('SELECT coalesce(sum(length(fields)), 0) AS n FROM sync_queue')
      .get() as { n: number };
    const state = db
      .prepare("SELECT key, value FROM app_state WHERE key IN ('client_id', 'cursor')")
      .all() as { key: string; value: string }[];
    if (!state.some((s) => s.key === 'client_id')) problems.push('client id lost');
    return {
      pending: entries.length,
      queuedBytes: queued.n,
      cursor: state.find((s) => s.key === 'cursor')?.value ?? '0',
      problems,
    };
  } finally {
    db.close();
  }
}
