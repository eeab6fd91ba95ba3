import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerry } from './support/cli.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';

// Issue 8's story, as a new user would try it: one note on two devices, edited offline on both,
// then synced. Separate `ferry` processes, a real server on real PostgreSQL.
const PASSWORD = 'correct horse battery';
const TRIP = 'Day 1: Lisbon\nDay 2: Sintra\nDay 3: Porto\n';

let server: TestServer;
let dir: { path: string; remove(): Promise<void> };
const db = (name: string): string => join(dir.path, `${name}.db`);

beforeAll(async () => {
  server = await startTestServer();
  dir = await tempDir();
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

async function ok(...args: string[]): Promise<string> {
  const r = await runFerry(args, { env: { FERRY_PASSWORD: PASSWORD } });
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function content(device: string, id: string): Promise<string> {
  return (JSON.parse(await ok('show', id, '--json', '--db', db(device))) as { content: string })
    .content;
}

interface JsonConflict {
  kind: string;
  id: string;
  recordId: string;
  keptIsThisDevice?: boolean;
  hunks?: { kept: string; other: string }[];
}
async function conflicts(device: string): Promise<JsonConflict[]> {
  return JSON.parse(await ok('conflicts', '--json', '--db', db(device))) as JsonConflict[];
}

describe('the Trip plan story (issue 8)', () => {
  let id = '';

  it('two devices edit different lines offline: both edits survive on both, no conflict', async () => {
    const email = `trip-${Date.now()}@example.com`;
    await ok(
      'signup',
      '--server',
      server.url,
      '--email',
      email,
      '--device',
      'a-laptop',
      '--db',
      db('a'),
    );
    await ok(
      'login',
      '--server',
      server.url,
      '--email',
      email,
      '--device',
      'b-laptop',
      '--db',
      db('b'),
    );
    id = (await ok('add', 'Trip plan', '--content', TRIP, '--db', db('a'))).trim();
    await ok('sync', '--db', db('a'));
    await ok('sync', '--db', db('b'));
    expect(await content('b', id)).toBe(TRIP);

    // Offline: neither device syncs between its edit and the other's.
    await ok(
      'edit',
      id,
      '--content',
      'Day 1: Lisbon, visit Belem\nDay 2: Sintra\nDay 3: Porto\n',
      '--db',
      db('a'),
    );
    await ok(
      'edit',
      id,
      '--content',
      'Day 1: Lisbon\nDay 2: Sintra\nDay 3: Porto, then Guimaraes\n',
      '--db',
      db('b'),
    );
    await ok('sync', '--db', db('a'));
    await ok('sync', '--db', db('b'));
    await ok('sync', '--db', db('a'));

    const both = 'Day 1: Lisbon, visit Belem\nDay 2: Sintra\nDay 3: Porto, then Guimaraes\n';
    expect(await content('a', id)).toBe(both);
    expect(await content('b', id)).toBe(both);
    expect(await conflicts('a')).toEqual([]);
    expect(await conflicts('b')).toEqual([]);
  });

  it('an overlapping edit is a conflict both devices list, until one resolves it; nothing is lost', async () => {
    // Both change day 2 offline; b's edit is the later one.
    await ok(
      'edit',
      id,
      '--content',
      'Day 1: Lisbon, visit Belem\nDay 2: Cascais\nDay 3: Porto, then Guimaraes\n',
      '--db',
      db('a'),
    );
    await ok(
      'edit',
      id,
      '--content',
      'Day 1: Lisbon, visit Belem\nDay 2: Evora\nDay 3: Porto, then Guimaraes\n',
      '--db',
      db('b'),
    );
    await ok('sync', '--db', db('a'));
    await ok('sync', '--db', db('b'));
    await ok('sync', '--db', db('a'));
    const later = 'Day 1: Lisbon, visit Belem\nDay 2: Evora\nDay 3: Porto, then Guimaraes\n';
    expect(await content('a', id)).toBe(later);
    expect(await content('b', id)).toBe(later);
    const [onA] = await conflicts('a');
    const onB = await conflicts('b');
    expect(onA).toMatchObject({
      kind: 'text',
      recordId: id,
      keptIsThisDevice: false,
      hunks: [{ kept: 'Evora', other: 'Cascais' }],
    });
    expect(onB).toEqual([{ ...onA, keptIsThisDevice: true }]);
    // Each device is named by its login (`--device`, by default the host name).
    expect(onA).toMatchObject({ keptDeviceName: 'b-laptop', otherDeviceName: 'a-laptop' });
    const listed = await ok('conflicts', '--db', db('a'));
    expect(listed).toContain(onA!.id);
    expect(listed).toMatch(/text keeps b-laptop \([0-9a-f]{6}\); other: this device/);
    expect(listed).toMatch(/kept: {2}"Evora"\n {4}other: "Cascais"/);

    const wrong = await runFerry(['conflicts', 'resolve', onA!.id, '--mine', '--db', db('b')], {
      env: {},
    });
    expect(wrong.code).toBe(2);
    expect(await ok('conflicts', 'resolve', onA!.id, '--keep', 'both', '--db', db('b'))).toMatch(
      /Resolved/,
    );
    await ok('sync', '--db', db('b'));
    await ok('sync', '--db', db('a'));
    const both = 'Day 1: Lisbon, visit Belem\nDay 2: Evora Cascais\nDay 3: Porto, then Guimaraes\n';
    expect(await content('a', id)).toBe(both);
    expect(await content('b', id)).toBe(both);
    expect(await conflicts('a')).toEqual([]);
    expect(await conflicts('b')).toEqual([]);
  });

  it('edit --base: text written from an earlier `show` keeps an edit pulled since', async () => {
    const start = await content('a', id);
    const shown = JSON.parse(await ok('show', id, '--json', '--db', db('a'))) as {
      textBase: string;
    };
    expect(shown.textBase).toMatch(/^[vs]\d+$/);
    // b edits the last line; a pulls it before writing what it typed on the text it showed.
    await ok('edit', id, '--content', start.replace(/\n$/, ' (b was here)\n'), '--db', db('b'));
    await ok('sync', '--db', db('b'));
    await ok('sync', '--db', db('a'));
    const typed = start.replace('Day 1: Lisbon', 'Day 1: Lisbon (a was here)');
    await ok('edit', id, '--content', typed, '--base', shown.textBase, '--db', db('a'));
    await ok('sync', '--db', db('a'));
    await ok('sync', '--db', db('b'));
    const both = typed.replace(/\n$/, ' (b was here)\n');
    expect(await content('a', id)).toBe(both);
    expect(await content('b', id)).toBe(both);
    const bad = await runFerry(
      ['edit', id, '--content', 'x', '--base', 'yesterday', '--db', db('a')],
      {
        env: {},
      },
    );
    expect(bad.code).toBe(2);
  });

  it('keeps every version: history, show --rev and restore --rev (a new edit that syncs)', async () => {
    const history = JSON.parse(await ok('history', id, '--json', '--db', db('a'))) as {
      revisions: { version: number; merged: boolean }[];
    };
    const versions = history.revisions.map((r) => r.version);
    expect(versions[0]).toBeGreaterThanOrEqual(5);
    expect(versions).toEqual([...versions].sort((x, y) => y - x));
    expect(history.revisions.some((r) => r.merged)).toBe(true);
    const listing = await ok('history', id, '--db', db('a'));
    expect(listing).toMatch(/^ +1 {2}\d{4}-.* {2}this device {2}\d+ bytes$/m);
    expect(listing).toMatch(
      /^ +\d+ {2}\d{4}-.* {2}b-laptop \([0-9a-f]{6}\)( {2}merged)? {2}\d+ bytes$/m,
    );
    const first = JSON.parse(await ok('show', id, '--rev', '1', '--json', '--db', db('b'))) as {
      fields: { content: string };
    };
    expect(first.fields.content).toBe(TRIP);
    expect(await ok('show', id, '--rev', '1', '--db', db('b'))).toContain('Day 2: Sintra');
    await ok('restore', id, '--rev', '1', '--db', db('b'));
    expect(await content('b', id)).toBe(TRIP);
    await ok('sync', '--db', db('b'));
    await ok('sync', '--db', db('a'));
    expect(await content('a', id)).toBe(TRIP);
    const missing = await runFerry(['show', id, '--rev', '999', '--db', db('a')], { env: {} });
    expect(missing.code).toBe(5);
  });
});
