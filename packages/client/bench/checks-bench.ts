/**
 * The checks of one sync page, per validator: a 1 000-row compact page of notes (~200
 * characters each, as the desktop benchmark's account) is checked as compact, decoded, and the
 * decoded page checked as v1, as `readSyncResponse` does. Prints the checks' time per page and per
 * row (CPU time of this process; the decoding is not counted).
 * `npx tsx --conditions=ferry-source bench/checks-bench.ts [rows] [pages]`
 */
import { randomUUID } from 'node:crypto';
import {
  COMPACT_VERSION,
  CompactSyncResponse,
  SyncResponse,
  decodeCompact,
  type CompactSyncResponse as Compact,
} from '@ferry/protocol';
import { interpretedValidator, type Validator } from '../src/checks.ts';
import { compiledValidator } from '../src/node/compiled-validator.ts';
import { precompiledProtocolValidator } from '../src/precompiled/index.ts';

const rows = Number(process.argv[2] ?? 1000);
const pages = Number(process.argv[3] ?? 200);

function compactPage(n: number): Compact {
  const text = 'lorem ipsum dolor sit amet '.repeat(8).slice(0, 200);
  return {
    protocol: 1,
    compact: COMPACT_VERSION,
    results: [],
    lastMutationSeq: 0,
    tables: [
      {
        table: 'notes',
        fields: ['title', 'content', 'notebook_id', 'created_at', 'updated_at', 'deleted_at'],
        rows: Array.from({ length: n }, (_, i) => [
          randomUUID(),
          i + 1,
          `note ${i}`,
          text,
          null,
          1_764_000_000_000 + i,
          1_764_000_000_000 + i,
          null,
        ]),
      },
    ],
    cursor: String(n),
    hasMore: true,
    serverHlc: '001764000000000-00000-0123456789abcdef',
    position: String(n * 100),
  };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function bench(name: string, validator: Validator, page: Compact): void {
  const compact = validator(CompactSyncResponse);
  const v1 = validator(SyncResponse);
  const decoded = decodeCompact(page, []);
  const once = (): void => {
    if (!compact.Check(page) || !v1.Check(decoded)) throw new Error(`${name}: page rejected`);
  };
  for (let i = 0; i < 20; i++) once(); // warm-up
  const t0 = cpuMs();
  for (let i = 0; i < pages; i++) once();
  const perPage = (cpuMs() - t0) / pages;
  console.log(
    `${name.padEnd(12)} ${perPage.toFixed(2).padStart(6)} ms/page  ${((perPage * 1000) / rows).toFixed(2).padStart(5)} µs/row`,
  );
}

const page = compactPage(rows);
console.log(`${rows}-row compact page, checked as compact then as v1; ${pages} pages each`);
bench('interpreted', interpretedValidator, page);
bench('precompiled', precompiledProtocolValidator, page);
bench('compiled', compiledValidator, page);
