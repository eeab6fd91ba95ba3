/**
 * What a pulled row costs the server (issue 11, item 2), against a plain SELECT of the same
 * columns: `npm run bench:pull -w @ferry/server`.
 *
 * One user holds BENCH_PULL_NOTES notes (default 50 000) of ~220 bytes of English-like title and
 * text (a seeded generator, BENCH_SEED), pushed through the API. Then, for each way of reading
 * them, every page of 1 000 from cursor "0", twice (the second pass is measured, warm):
 *
 * - PostgreSQL CPU: user + system time of the one backend that runs the queries
 *   (`/proc/<pg_backend_pid()>/stat`), for the plain SELECT, the v1 pull query (`row_to_json`)
 *   and the compact one (`json_build_array`);
 * - server CPU in Node: this process's CPU for `pull()` and building the response body (v1 and
 *   compact), and for compressing those bodies (brotli quality 1, gzip level 1, gzip level 6);
 * - bytes per note of each body, plain and compressed.
 *
 * The figures are CPU time, steadier than wall time on a shared machine; the load average is
 * printed.
 */
import { cpus, loadavg } from 'node:os';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import pg from 'pg';
import { SentValues, withTextConflicts, ferryTables, ferrySchema } from '@ferry/protocol';
import { createTestDatabase } from '../src/testing/index.ts';
import { createServer } from '../src/index.ts';
import { pull, pullQuery, syncResponseBody, type PullPage } from '../src/sync/pull.ts';
import { tableSql } from '../src/sync/rows.ts';
import { mulberry32 as prng } from './merge-texts.ts';
import { cpuSeconds } from './proc.ts';
import { seedNotes } from './wire.ts';
import {
  CompactAcks,
  compactGroupsBody,
  compactPageQuery,
  compactPullQuery,
  pullCompact,
  compactResponseBody,
  compactRow,
} from '../src/sync/encode-page.ts';

const NOTES = Number(process.env.BENCH_PULL_NOTES ?? 50_000);
const SEED = Number(process.env.BENCH_SEED ?? Date.now() % 1e9);
const PAGE = 1000;

/** Rows of a joined page, counted by their ids (`["<uuid>",` opens each row). */
const pageRows = (groups: ReadonlyMap<string, string>): number =>
  [...groups.values()].reduce((a, g) => a + (g.match(/\["[0-9a-f]{8}-/g)?.length ?? 0), 0);

const nodeCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  const rnd = prng(SEED);
  const load0 = loadavg()[0]!;
  const db = await createTestDatabase();
  const server = await createServer({
    ...ferrySchema,
    port: 0,
    databaseUrl: db.url,
    logLevel: 'warn',
  });
  try {
    const signup = await fetch(`${server.url}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `pull-${SEED}@example.com`, password: 'bench password' }),
    });
    const { userId, token } = (await signup.json()) as { userId: string; token: string };
    await seedNotes(server.url, token, NOTES, rnd);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('ANALYZE');
    // As the server's sessions run (SESSION_SETTINGS in db/database.ts).
    await client.query('SET enable_bitmapscan = off');
    const pid = (await client.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p;
    const tables = withTextConflicts(withTextConflicts(ferryTables)).map(tableSql);
    const byName = new Map(tables.map((t) => [t.table.name, t]));
    const queries = {
      v1: pullQuery(tables),
      compact: compactPullQuery(tables),
      joined: compactPageQuery(tables),
    };
    // (`n.position` in ORDER BY: a bare `position` would sort by the text output column.)
    const plain = `SELECT id::text, title, content, created_at, updated_at, deleted_at, version, position::text
      FROM notes n WHERE user_id = $1 AND position > $2::bigint ORDER BY n.position LIMIT $3`;
    const queryable = {
      query: async <R extends object>(sql: string, params: unknown[]): Promise<R[]> =>
        (await client.query<R>(sql, params)).rows,
    };
    const bounds = { limit: PAGE, bytes: 4 * 1024 * 1024 };

    /** Every page from "0"; returns PostgreSQL and Node CPU seconds of the second pass. */
    const pages = async (
      page: (cursor: string) => Promise<{ cursor: string; hasMore: boolean; rows: number }>,
    ): Promise<{ pgCpu: number; nodeCpu: number; count: number; rows: number }> => {
      let out = { pgCpu: 0, nodeCpu: 0, count: 0, rows: 0 };
      for (let pass = 0; pass < 2; pass++) {
        const pg0 = cpuSeconds(pid);
        const n0 = nodeCpu();
        let cursor = '0';
        let count = 0;
        let rows = 0;
        for (;;) {
          const p = await page(cursor);
          count++;
          rows += p.rows;
          cursor = p.cursor;
          if (!p.hasMore) break;
        }
        out = { pgCpu: cpuSeconds(pid) - pg0, nodeCpu: nodeCpu() - n0, count, rows };
      }
      return out;
    };
    const head = (p: PullPage) => ({
      protocol: 1,
      results: [],
      lastMutationSeq: 0,
      cursor: p.cursor,
      hasMore: p.hasMore,
      serverHlc: '001764000000000-00000-0000000000000000',
      position: p.position,
    });
    const bodies: Record<string, string[]> = { v1: [], compact: [] };
    const plainRun = await pages(async (cursor) => {
      const rows = (await client.query<{ position: string }>(plain, [userId, cursor, PAGE])).rows;
      return {
        cursor: rows.at(-1)?.position ?? cursor,
        hasMore: rows.length === PAGE,
        rows: rows.length,
      };
    });
    const parts: [string, string][] = process.env.BENCH_PULL_PARTS
      ? [
          [
            'json_build_array alone (no size step)',
            `SELECT json_build_array(id, version, title, content, created_at, updated_at, deleted_at)::text AS row, position::text AS pos
             FROM notes n WHERE user_id = $1 AND position > $2::bigint ORDER BY n.position LIMIT $3`,
          ],
          [
            'size step alone',
            `SELECT position::text AS pos, (10 + coalesce(octet_length(title), 0) + coalesce(octet_length(content), 0))::bigint AS est
             FROM notes n WHERE user_id = $1 AND position > $2::bigint ORDER BY n.position LIMIT $3`,
          ],
        ]
      : [];
    const partRuns = [];
    for (const [name, sql] of parts) {
      const run = await pages(async (cursor) => {
        const rows = (await client.query<{ pos: string }>(sql, [userId, cursor, PAGE])).rows;
        return {
          cursor: rows.at(-1)?.pos ?? cursor,
          hasMore: rows.length === PAGE,
          rows: rows.length,
        };
      });
      partRuns.push({ name, run });
    }
    const v1Run = await pages(async (cursor) => {
      const p = await pull(queryable, queries.v1, userId, cursor, bounds);
      const body = syncResponseBody(head(p), p.changes);
      if (bodies.v1!.length < 200) bodies.v1!.push(body);
      return { ...p, rows: p.changes.length };
    });
    const noAcks = new CompactAcks(byName, [], new SentValues([]));
    const compactRun = await pages(async (cursor) => {
      const p = await pull(queryable, queries.compact, userId, cursor, bounds, compactRow);
      const body = compactResponseBody(head(p), p.changes, noAcks, byName);
      if (bodies.compact!.length < 200) bodies.compact!.push(body);
      return { ...p, rows: p.changes.length };
    });
    const joinedRun = await pages(async (cursor) => {
      const p = await pullCompact(queryable, queries.joined, tables, userId, cursor, bounds);
      compactGroupsBody(head({ ...p, changes: [] }), p.groups, byName);
      return { ...p, rows: p.groups.size === 0 ? 0 : pageRows(p.groups) };
    });
    await client.end();

    const us = (s: number, rows: number): string => `${((s / rows) * 1e6).toFixed(2)} µs`;
    const lines: string[] = [];
    const out = (s: string): void => {
      lines.push(s);
      console.log(s);
    };
    out(`### What a pulled row costs the server (\`bench/pull-cost.ts\`)`);
    out('');
    out(
      `${NOTES} notes of ~220 B of title and content (seed ${SEED}), pages of ${PAGE}, second (warm) pass. ${cpus().length} × ${cpus()[0]?.model}; load average ${load0.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after.`,
    );
    out('');
    out('| read | PostgreSQL CPU per row | Node CPU per row (pull + body) | pages (rows) |');
    out('|---|---|---|---|');
    out(
      `| plain SELECT of the same columns | ${us(plainRun.pgCpu, plainRun.rows)} | (pg's row parsing: ${us(plainRun.nodeCpu, plainRun.rows)}) | ${plainRun.count} (${plainRun.rows}) |`,
    );
    out(
      `| v1 pull (\`row_to_json\`) | ${us(v1Run.pgCpu, v1Run.rows)} | ${us(v1Run.nodeCpu, v1Run.rows)} | ${v1Run.count} (${v1Run.rows}) |`,
    );
    out(
      `| compact pull (\`json_build_array\`) | ${us(compactRun.pgCpu, compactRun.rows)} | ${us(compactRun.nodeCpu, compactRun.rows)} | ${compactRun.count} (${compactRun.rows}) |`,
    );
    out(
      `| compact pull joined in PostgreSQL (\`string_agg\`, the engine's pulls) | ${us(joinedRun.pgCpu, joinedRun.rows)} | ${us(joinedRun.nodeCpu, joinedRun.rows)} | ${joinedRun.count} (${joinedRun.rows}) |`,
    );
    for (const { name, run } of partRuns)
      out(`| ${name} | ${us(run.pgCpu, run.rows)} | | ${run.count} (${run.rows}) |`);
    out('');
    const rows = (b: string[]): number =>
      b.reduce((a, x) => a + (x.match(/"id":"|\["[0-9a-f]{8}-/g)?.length ?? 0), 0);
    out('| body | bytes per note | CPU per note to compress |');
    out('|---|---|---|');
    for (const [name, list] of Object.entries(bodies)) {
      const n = rows(list);
      const raw = list.reduce((a, b) => a + Buffer.byteLength(b), 0);
      out(`| ${name}, plain | ${(raw / n).toFixed(1)} | — |`);
      for (const [coding, f] of [
        [
          'brotli q1',
          (b: string) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
        ],
        ['gzip 1', (b: string) => gzipSync(b, { level: 1 })],
        ['gzip 6', (b: string) => gzipSync(b, { level: 6 })],
      ] as const) {
        const c0 = nodeCpu();
        const size = list.reduce((a, b) => a + f(b).length, 0);
        const c = nodeCpu() - c0;
        out(`| ${name}, ${coding} | ${(size / n).toFixed(1)} | ${((c / n) * 1e6).toFixed(2)} µs |`);
      }
    }
    if (process.env.BENCH_OUT) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.BENCH_OUT, `${lines.join('\n')}\n`);
    }
  } finally {
    await server.close();
    await db.drop();
  }
}

await main();
