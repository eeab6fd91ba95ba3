import { memoryTokenStore, openFerry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { openDatabase } from '@ferry/server';
import { errorName, sleep, type Fleet } from './fleet.ts';
import { diffRows } from './model.ts';
import { ferrySchema } from '@ferry/protocol';

/**
 * What the fault tests check after the server side came back. Each function returns one line
 * per problem; an empty list means the guarantee held.
 */

/** A notes row as PostgreSQL holds it: the stamp of each field's last write, and its version. */
export interface ServerRow {
  id: string;
  hlcs: Record<string, string>;
  version: number;
}

/** The user's notes, read straight from the server's database. */
export async function serverRows(
  databaseUrl: string,
  userId: string,
): Promise<Map<string, ServerRow>> {
  const db = openDatabase(databaseUrl, 1);
  try {
    const rows = await db.query<{ id: string; hlcs: Record<string, string>; version: string }>(
      'SELECT id::text AS id, hlcs, version::text AS version FROM notes WHERE user_id = $1',
      [userId],
    );
    return new Map(rows.map((r) => [r.id, { id: r.id, hlcs: r.hlcs, version: Number(r.version) }]));
  } finally {
    await db.close();
  }
}

/**
 * Every write a device has seen acknowledged (it is no longer in that device's outbox) is in the
 * database: each field it wrote carries its stamp or a later one.
 */
export async function checkAcknowledged(
  fleet: Fleet,
  rows: ReadonlyMap<string, ServerRow>,
): Promise<{ acked: number; problems: string[] }> {
  const problems: string[] = [];
  let acked = 0;
  for (const d of fleet.devices) {
    const pending = new Set((await d.ferry.outbox()).map((e) => e.hlc));
    for (const w of d.writes) {
      if (pending.has(w.hlc)) continue;
      acked += 1;
      const row = rows.get(w.recordId);
      if (!row) {
        problems.push(
          `${d.name}: acknowledged write ${w.hlc} of ${w.recordId}: the row is missing`,
        );
        continue;
      }
      for (const f of Object.keys(w.fields)) {
        if (!((row.hlcs[f] ?? '') >= w.hlc))
          problems.push(
            `${d.name}: acknowledged write ${w.hlc} of ${w.recordId}.${f} lost (stored stamp ${row.hlcs[f] ?? 'none'})`,
          );
      }
    }
  }
  return { acked, problems };
}

/**
 * Nothing applied twice (or lost): each row's version counts the writes applied to it and must
 * equal the writes made to it; no result came back superseded, conflict or rejected.
 */
export function checkExactlyOnce(fleet: Fleet, rows: ReadonlyMap<string, ServerRow>): string[] {
  const problems: string[] = [];
  const made = new Map<string, number>();
  for (const d of fleet.devices)
    for (const w of d.writes) made.set(w.recordId, (made.get(w.recordId) ?? 0) + 1);
  for (const [id, n] of made) {
    const v = rows.get(id)?.version;
    if (v !== n) problems.push(`${id}: version ${v ?? 'missing'} after ${n} write(s)`);
  }
  for (const id of rows.keys())
    if (!made.has(id)) problems.push(`${id}: on the server, never written`);
  for (const s of ['superseded', 'conflict', 'rejected']) {
    if (fleet.results[s]) problems.push(`${fleet.results[s]} sync result(s) ${s}`);
  }
  return problems;
}

/**
 * Syncs every device until all are quiet (outbox empty, pull complete), retrying failures until
 * `deadlineMs` has passed; then one more sync each brings in the others' last pushes.
 */
export async function converge(fleet: Fleet, deadlineMs = 30_000): Promise<string[]> {
  const until = Date.now() + deadlineMs;
  let last: string[] = [];
  while (Date.now() < until) {
    const outcomes = await Promise.all(
      fleet.devices.map((d) =>
        d.ferry.sync().then(
          (o) => o,
          (e: unknown) => e,
        ),
      ),
    );
    last = outcomes.flatMap((o, i) =>
      o instanceof Error ? [`${fleet.devices[i]!.name}: ${errorName(o)}`] : [],
    );
    const quiet = outcomes.every(
      (o, i) =>
        !(o instanceof Error) &&
        (o as { complete: boolean }).complete &&
        fleet.devices[i]!.ferry.status().pending === 0,
    );
    if (quiet) {
      for (const d of fleet.devices) await d.ferry.sync();
      return [];
    }
    if (last.length > 0) await sleep(100);
  }
  return [
    `the devices did not converge within ${deadlineMs} ms; last failures: ${last.join(', ') || 'none'}`,
  ];
}

/** The server equals the model of every write; every device equals the server (read by a fresh device). */
export async function checkConverged(fleet: Fleet, serverUrl: string): Promise<string[]> {
  const fresh = await openFerry({
    ...ferrySchema,
    driver: await openNodeDriver(':memory:'),
    tokenStore: memoryTokenStore(fleet.token),
  });
  await fresh.setServer(serverUrl);
  try {
    const outcome = await fresh.sync();
    if (!outcome.complete) return ['fresh device: pull incomplete'];
    const onServer = await fresh.tables.notes.list({ deleted: true });
    const problems = fleet.model
      .diff(onServer, 'notes', { singleWriter: true })
      .map((d) => `server vs model: ${d}`);
    for (const d of fleet.devices)
      problems.push(
        ...diffRows('server', onServer, d.name, await d.ferry.tables.notes.list({ deleted: true })),
      );
    return problems;
  } finally {
    await fresh.close();
  }
}
