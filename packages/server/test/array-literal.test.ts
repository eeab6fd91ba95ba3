import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.ts';
import { arrayLiteral, textArray } from '../src/sync/rows.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/test-database.ts';

/** The upsert's array parameters, made by `arrayLiteral`, read back by PostgreSQL as sent. */
describe('arrayLiteral', () => {
  let tdb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    db = openDatabase(tdb.url, 1);
  });
  afterAll(async () => {
    await db.close();
    await tdb.drop();
  });

  it('round-trips texts with quotes, backslashes, braces, commas, NULL, empty, control and non-ASCII characters', async () => {
    const texts = [
      'plain',
      '',
      'NULL',
      null,
      'a "quoted" \\ back\\\\slash',
      '{braces}, commas, (parens)',
      ' spaces ',
      '\u0001\n\t\r',
      'ünïcödé 😀 中文',
      JSON.stringify({ title: '0000000000001-0000-x', 'a"b': 'c\\d' }),
    ];
    const [r] = await db.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [
      arrayLiteral(texts),
    ]);
    expect(r!.a).toEqual(texts);
  });

  it('round-trips numbers, bigints and uuids', async () => {
    const [r] = await db.query<{ n: string[]; b: string[]; u: string[] }>(
      'SELECT $1::bigint[]::text[] AS n, $2::bigint[]::text[] AS b, $3::uuid[]::text[] AS u',
      [
        arrayLiteral([1, -2, Number.MAX_SAFE_INTEGER, null]),
        arrayLiteral([9223372036854775807n, 0n]),
        arrayLiteral(['0195b2a4-0000-7000-8000-000000000001']),
      ],
    );
    expect(r).toEqual({
      n: ['1', '-2', String(Number.MAX_SAFE_INTEGER), null],
      b: ['9223372036854775807', '0'],
      u: ['0195b2a4-0000-7000-8000-000000000001'],
    });
  });

  it('textArray: the binary text[] gives PostgreSQL what arrayLiteral gives, value for value', async () => {
    const values = [
      'plain',
      '',
      'NULL',
      null,
      undefined,
      'a "quoted" \\ back\\\\slash',
      '{braces}, commas, (parens)',
      '\u0001\n\t\r',
      'ünïcödé 😀 中文',
      'lone \ud800 surrogate',
      12.5,
      -3,
      true,
      false,
      { title: 'x', 'a"b': 'c\\d' },
      'x'.repeat(70_000),
    ];
    const [r] = await db.query<{ a: (string | null)[]; b: (string | null)[] }>(
      'SELECT $1::text[] AS a, $2::text[] AS b',
      [arrayLiteral(values), textArray(values)],
    );
    expect(r!.b).toEqual(r!.a);
    const [e] = await db.query<{ n: number }>('SELECT cardinality($1::text[]) AS n', [
      textArray([]),
    ]);
    expect(e!.n).toBe(0);
  });
});
