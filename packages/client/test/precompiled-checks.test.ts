import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CompactSyncResponse, SyncResponse } from '@ferry/protocol';
import { Type, type TSchema } from '@sinclair/typebox';
import { Check as valueCheck } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { interpretedValidator, precompiledValidator, type Validator } from '../src/checks.ts';
import { GENERATED_CHECKS, GENERATE_COMMAND, checksModule } from '../src/node/checks-codegen.ts';
import { precompiledProtocolValidator, protocolChecks } from '../src/precompiled/index.ts';
import { responseSchemas } from '../src/response-schemas.ts';

const pkg = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));

// Seeded: FERRY_FC_SEED replays a run; a failure prints fast-check's seed and path.
const seed =
  process.env.FERRY_FC_SEED === undefined
    ? Date.now() % 2 ** 31
    : Number(process.env.FERRY_FC_SEED);
const runs = Number(process.env.FERRY_FC_RUNS ?? 400);
console.log(`precompiled checks: seed ${seed} (replay with FERRY_FC_SEED=${seed}), ${runs} runs`);

describe('the generated checks', () => {
  it(`are up to date with the schemas and TypeBox (else: ${GENERATE_COMMAND})`, () => {
    expect(readFileSync(pkg(GENERATED_CHECKS), 'utf8')).toBe(checksModule(responseSchemas));
  });

  it('cover every schema the engine checks an answer against', () => {
    const named = new Set<string>();
    const sources = readdirSync(pkg('src'), { recursive: true, encoding: 'utf8' });
    for (const f of sources.filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(pkg(`src/${f}`), 'utf8').matchAll(/checks\.of\((\w+)\)/g))
        named.add(m[1]!);
    }
    expect(named.size).toBeGreaterThan(0);
    expect([...named].filter((n) => !(n in responseSchemas))).toEqual([]);
    const fallback = vi.fn(interpretedValidator);
    const validator = precompiledValidator(protocolChecks, fallback as Validator);
    for (const schema of Object.values(responseSchemas)) validator(schema as TSchema);
    expect(fallback).not.toHaveBeenCalled();
  });

  it('interpret a schema they were not generated from: never no check', () => {
    const fallback = vi.fn(interpretedValidator);
    const validator = precompiledValidator(protocolChecks, fallback as Validator);
    // The same shape with one constraint more, and one property more.
    const shorter = Type.Object({
      ...SyncResponse.properties,
      cursor: Type.String({ maxLength: 2 }),
    });
    const wider = Type.Object({ ...SyncResponse.properties, extra: Type.String() });
    const page = { ...validSyncPage(), cursor: '12345' };
    expect(precompiledProtocolValidator(SyncResponse).Check(page)).toBe(true);
    expect(validator(shorter).Check(page)).toBe(false);
    expect(validator(wider).Check(page)).toBe(false);
    expect(fallback).toHaveBeenCalledTimes(2);
  });

  it('accept and reject exactly what the interpreted checks do (random pages)', () => {
    const pages: [string, TSchema, fc.Arbitrary<unknown>][] = [
      ['SyncResponse', SyncResponse, mutated(syncPage)],
      ['CompactSyncResponse', CompactSyncResponse, mutated(compactPage)],
    ];
    for (const [name, schema, values] of pages) {
      const seen = sameAsInterpreted(schema, values);
      console.log(`${name}: ${JSON.stringify(seen)}`);
      // Both sides were exercised: pages accepted as well as rejected.
      expect(seen.accepted, JSON.stringify(seen)).toBeGreaterThan(runs / 10);
      expect(seen.rejected, JSON.stringify(seen)).toBeGreaterThan(runs / 10);
    }
    for (const schema of Object.values(responseSchemas)) sameAsInterpreted(schema, fc.anything());
  });
});

/** Asserts the generated check agrees with the interpreted one on `values`; counts the verdicts. */
function sameAsInterpreted(schema: TSchema, values: fc.Arbitrary<unknown>) {
  const check = precompiledProtocolValidator(schema);
  const seen = { accepted: 0, rejected: 0 };
  fc.assert(
    fc.property(values, (value) => {
      const expected = valueCheck(schema, value);
      seen[expected ? 'accepted' : 'rejected']++;
      expect(check.Check(value)).toBe(expected);
    }),
    { seed, numRuns: runs, verbose: 1 },
  );
  return seen;
}

function validSyncPage(): Record<string, unknown> {
  return {
    protocol: 1,
    results: [],
    lastMutationSeq: 0,
    changes: [],
    cursor: '0',
    hasMore: false,
    serverHlc: '001764000000000-00000-0123456789abcdef',
  };
}

// Values that pass more often than not, so that mutations land near the boundary.
const uuid = fc.oneof({ weight: 30, arbitrary: fc.uuid() }, fc.string());
const cursor = fc.oneof(
  { weight: 30, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String) },
  fc.string(),
);
const hlc = fc.oneof(
  { weight: 30, arbitrary: fc.constant('001764000000000-00000-0123456789abcdef') },
  fc.string(),
);
const seq = fc.oneof({ weight: 30, arbitrary: fc.nat() }, fc.double());
const mutationResult = fc.oneof(
  fc.record({ seq, status: fc.constant('applied'), version: seq }),
  fc.record({ seq, status: fc.constant('superseded') }, { requiredKeys: ['seq', 'status'] }),
  fc.record({ seq, status: fc.constant('duplicate') }),
  fc.record({
    seq,
    status: fc.constant('conflict'),
    row: fc.option(fc.record({ id: uuid, version: seq, title: fc.string() })),
  }),
  fc.record({ seq, status: fc.constant('rejected'), code: fc.string(), message: fc.string() }),
);
const head = {
  protocol: fc.nat(3),
  results: fc.array(mutationResult, { maxLength: 4 }),
  lastMutationSeq: seq,
  cursor,
  hasMore: fc.boolean(),
  serverHlc: hlc,
  position: cursor,
};
const optional = ['position'] as const;
const syncPage = fc.record(
  {
    ...head,
    changes: fc.array(
      fc.record({
        table: fc.string(),
        seq: cursor,
        row: fc.record({ id: uuid, version: seq, title: fc.string(), content: fc.jsonValue() }),
      }),
      { maxLength: 6 },
    ),
  },
  { requiredKeys: Object.keys(head).filter((k) => !optional.includes(k as 'position')) as never },
);
const compactPage = fc.record({
  ...head,
  compact: fc.oneof({ weight: 30, arbitrary: fc.constant(1) }, fc.nat(3)),
  tables: fc.array(
    fc.record({
      table: fc.string(),
      fields: fc.array(fc.string(), { maxLength: 3 }),
      rows: fc.array(fc.array(fc.jsonValue(), { maxLength: 5 }), { maxLength: 4 }),
    }),
    { maxLength: 3 },
  ),
});

/** A value, then one of its parts (or none) replaced by anything or deleted. */
function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      base,
      fc.nat(),
      fc.oneof({ weight: 2, arbitrary: fc.constant('keep') }, fc.constant('delete'), fc.anything()),
    )
    .map(([generated, at, change]) => {
      // A copy: fast-check reuses generated values while it shrinks.
      const value = structuredClone(generated);
      if (change === 'keep') return value;
      const parts = partsOf(value);
      if (parts.length === 0) return value;
      const [holder, key] = parts[at % parts.length]!;
      if (change === 'delete' && !Array.isArray(holder)) delete holder[key];
      else holder[key] = change;
      return value;
    });
}

/** Every (container, key) in a JSON-like value. */
function partsOf(value: unknown): [Record<string, unknown>, string][] {
  if (value === null || typeof value !== 'object') return [];
  const holder = value as Record<string, unknown>;
  return Object.keys(holder).flatMap((k) => [
    [holder, k] as [typeof holder, string],
    ...partsOf(holder[k]),
  ]);
}
