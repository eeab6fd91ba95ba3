/**
 * The checks of one sync page, per validator: a compact page of notes (~200 characters each, as
 * the desktop benchmark's account) checked as compact, decoded, and the decoded page checked as
 * v1, as `readSyncResponse` does. Runs in Node (checks-bench.ts) and in Chromium
 * (checks-bench-browser.ts); the decoding is not timed.
 */
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

/** A compact page of `n` notes. */
export function compactPage(n: number): Compact {
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
        rows: Array.from({ length: n }, (_, i) => {
          const at = 1_764_000_000_000 + i;
          const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
          return [id, i + 1, `note ${i}`, text, null, at, at, null];
        }),
      },
    ],
    cursor: String(n),
    hasMore: true,
    serverHlc: '001764000000000-00000-0123456789abcdef',
    position: String(n * 100),
  };
}

/** Milliseconds of the checks of one page with `validator`, the mean over `pages` pages. */
function perPage(validator: Validator, page: Compact, pages: number, clock: () => number): number {
  const compact = validator(CompactSyncResponse);
  const v1 = validator(SyncResponse);
  const decoded = decodeCompact(page, []);
  const once = (): void => {
    if (!compact.Check(page) || !v1.Check(decoded)) throw new Error('page rejected');
  };
  for (let i = 0; i < 20; i++) once(); // warm-up
  const t0 = clock();
  for (let i = 0; i < pages; i++) once();
  return (clock() - t0) / pages;
}

/** Runs the three validators on one page of `rows` rows; returns the lines to print. */
export function runChecksBench(rows: number, pages: number, clock: () => number): string[] {
  const page = compactPage(rows);
  const validators: [string, Validator][] = [
    ['interpreted', interpretedValidator],
    ['precompiled', precompiledProtocolValidator],
    ['compiled', compiledValidator],
  ];
  const lines = [`${rows}-row compact page, checked as compact then as v1; ${pages} pages each`];
  for (const [name, validator] of validators) {
    const ms = perPage(validator, page, pages, clock);
    const perRow = ((ms * 1000) / rows).toFixed(2);
    lines.push(`${name.padEnd(12)} ${ms.toFixed(2).padStart(6)} ms/page  ${perRow} µs/row`);
  }
  return lines;
}
