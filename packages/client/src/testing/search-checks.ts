import { equal, type Check } from './assert.ts';
import { withEngine, type Engine, type MakeStoreDriver } from './store-fixture.ts';

/** The titles `list({ search })` finds, sorted (list order is not what these checks are about). */
async function found(f: Engine, search: string, deleted?: 'only'): Promise<string[]> {
  const rows = await f.tables.tasks.list({ search, ...(deleted ? { deleted } : {}) });
  const n = await f.tables.tasks.count({ search, ...(deleted ? { deleted } : {}) });
  equal(n, rows.length, `count agrees with list for ${JSON.stringify(search)}`);
  return rows.map((r) => r.title).sort();
}

const TITLES = [
  'Buy oatmeal cookies',
  'Read "The Hobbit"',
  '100% done_now',
  'star*gazing',
  'this OR that',
  'ab',
];

/** What searching the rows of TITLES finds. */
async function expectLiteral(f: Engine): Promise<void> {
  equal(await found(f, 'TMEA'), ['Buy oatmeal cookies'], 'inside a word, any case');
  equal(await found(f, 'meal coo'), ['Buy oatmeal cookies'], 'across a space');
  equal(await found(f, '"the h'), ['Read "The Hobbit"'], 'a double quote');
  equal(await found(f, '"'), ['Read "The Hobbit"'], 'a double quote alone');
  equal(await found(f, '0% d'), ['100% done_now'], 'a percent sign');
  equal(await found(f, '%'), ['100% done_now'], 'a percent sign alone');
  equal(await found(f, 'e_n'), ['100% done_now'], 'an underscore');
  equal(await found(f, '_'), ['100% done_now'], 'an underscore alone');
  equal(await found(f, 'r*g'), ['star*gazing'], 'a star');
  equal(await found(f, '*'), ['star*gazing'], 'a star alone');
  equal(await found(f, 's or t'), ['this OR that'], 'query syntax is text');
  equal(await found(f, 'OR'), ['this OR that'], 'a two-letter operator is text');
  equal(await found(f, 'AND'), [], 'an operator alone is text');
  equal(await found(f, 'AB'), ['ab'], 'a two-character term');
  equal(await found(f, 'B'), ['Read "The Hobbit"', 'ab', 'Buy oatmeal cookies'].sort(), 'one');
  equal(await found(f, 'zzz'), [], 'nothing');
  equal(await found(f, ''), TITLES.slice().sort(), 'an empty search is no filter');
}

/** A pulled row of `tasks` with this title. */
function remoteTask(id: string, title: string): Record<string, unknown> & { id: string } {
  const t = new Date().toISOString();
  const row = { id, title, done: 0, due: null, created_at: t, updated_at: t, deleted_at: null };
  return row;
}

/**
 * Search semantics, whatever the table's search runs on (a scan with LIKE, or a full-text
 * index): a case-insensitive substring of any search field, the user's text taken literally.
 */
export const searchChecks: Check<MakeStoreDriver>[] = [
  {
    name: 'search finds a substring anywhere in any case, and takes its text literally',
    run: (make) =>
      withEngine(make, async (f) => {
        for (const title of TITLES) await f.tables.tasks.create({ title });
        // Rows just written, then the same rows once a sync has indexed them.
        await expectLiteral(f);
        await f.sync();
        await expectLiteral(f);
      }),
  },
  {
    name: 'search sees a row by its new text, and not after it is deleted',
    run: (make) =>
      withEngine(make, async (f, remote, d) => {
        const n = await f.tables.tasks.create({ title: 'alpha beta' });
        await f.sync();
        await f.tables.tasks.update(n.id, { title: 'gamma delta' });
        equal(await found(f, 'beta'), [], 'not by its old text');
        equal(await found(f, 'AMMA DE'), ['gamma delta'], 'by its new text');
        await f.sync();
        equal(await found(f, 'beta'), [], 'not by its old text, synced');
        equal(await found(f, 'AMMA DE'), ['gamma delta'], 'by its new text, synced');
        await f.tables.tasks.remove(n.id);
        equal(await found(f, 'gamma'), [], 'a deleted row is not found');
        equal(await found(f, 'gamma', 'only'), ['gamma delta'], 'but is in the trash');
        const id = '0193a1c3-0000-7000-8000-0000000000cc';
        remote.put('tasks', remoteTask(id, 'pulled kiwi'));
        await f.sync();
        equal(await found(f, 'KIWI'), ['pulled kiwi'], 'a pulled row');
        remote.put('tasks', remoteTask(id, 'pulled mango'));
        await f.sync();
        equal(await found(f, 'kiwi'), [], 'a pulled row, not by its old text');
        equal(await found(f, 'mango'), ['pulled mango'], 'a pulled row by its new text');
        // A resync purges rows the server no longer has with a plain DELETE.
        await d.transaction((tx) => tx.run('DELETE FROM tasks WHERE id = ?', [id]));
        equal(await found(f, 'mango'), [], 'a purged row is not found');
      }),
  },
];
