import { spawn, spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryTokenStore, openFerry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { NOTE_FIELDS } from '../src/output.ts';
import { FERRY_BIN, cleanEnv, runFerry, type CliResult } from './support/cli.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';
import { ferrySchema } from '@ferry/protocol';

// The `ferry` command as scripts use it: separate processes, a real server on real PostgreSQL over
// loopback HTTP, one --db per simulated device.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PASSWORD = 'correct horse battery';
// util-linux `script` gives the child a terminal, to type a password the way people do.
const hasScript = spawnSync('script', ['--version']).status === 0;

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

function ferry(
  args: string[],
  opts: { password?: string; input?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return runFerry(args, {
    ...(opts.input === undefined ? {} : { input: opts.input }),
    env: { ...(opts.password === undefined ? {} : { FERRY_PASSWORD: opts.password }), ...opts.env },
  });
}

async function ok(args: string[], opts: Parameters<typeof ferry>[1] = {}): Promise<string> {
  const r = await ferry(args, opts);
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

interface JsonNote {
  id: string;
  title: string;
  content: string;
  deleted_at: string | null;
  version: number;
  synced: number;
}
async function lsJson(name: string, ...extra: string[]): Promise<JsonNote[]> {
  return JSON.parse(await ok(['ls', '--json', '--db', db(name), ...extra])) as JsonNote[];
}

describe('ferry CLI end to end', () => {
  let tokenA = '';
  let email = '';

  it('signs up with FERRY_PASSWORD and logs in with the password on stdin; the token file is 0600 and never printed', async () => {
    email = `cli-${Date.now()}@example.com`;
    const signup = await ferry(
      ['signup', '--server', server.url, '--email', email, '--db', db('a')],
      { password: PASSWORD },
    );
    expect(signup.code, signup.stderr).toBe(0);
    const login = await ferry(
      ['login', '--server', server.url, '--email', email, '--db', db('b')],
      { input: `${PASSWORD}\n` },
    );
    expect(login.code, login.stderr).toBe(0);

    for (const name of ['a', 'b']) {
      const st = await stat(`${db(name)}.token`);
      expect(st.mode & 0o777).toBe(0o600);
      // The database holds every note: as private as the token.
      expect((await stat(db(name))).mode & 0o777).toBe(0o600);
    }
    tokenA = (await readFile(`${db('a')}.token`, 'utf8')).trim();
    const tokenB = (await readFile(`${db('b')}.token`, 'utf8')).trim();
    expect(tokenA.length).toBeGreaterThanOrEqual(32);
    expect(tokenB).not.toBe(tokenA);
    for (const out of [signup.stdout, signup.stderr, login.stdout, login.stderr]) {
      expect(out).not.toContain(tokenA);
      expect(out).not.toContain(tokenB);
      expect(out).not.toContain(PASSWORD);
    }

    // Wrong password: auth exit code; taken email: refused; no password at all: usage.
    const bad = await ferry(['login', '--server', server.url, '--email', email, '--db', db('x')], {
      password: 'wrong password!',
    });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/ferry: .*(invalid|credentials|password)/i);
    const taken = await ferry(
      ['signup', '--server', server.url, '--email', email, '--db', db('y')],
      { password: PASSWORD },
    );
    expect(taken.code).toBe(7);
    expect(taken.stderr).toMatch(/ferry: /);
    const none = await ferry(['login', '--server', server.url, '--email', email, '--db', db('z')], {
      input: '',
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/FERRY_PASSWORD/);
  });

  it.skipIf(!hasScript)('prompts for the password on a terminal without echoing it', async () => {
    const cmd = [
      process.execPath,
      FERRY_BIN,
      'login',
      '--server',
      server.url,
      '--email',
      email,
      '--db',
      db('tty'),
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Password:') && !child.stdin.writableEnded) child.stdin.end(`${PASSWORD}\r`);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/Signed in as/);
    expect(out).not.toContain(PASSWORD);
  });

  it('adds, edits, deletes, restores, lists, shows and syncs with the documented output and exit codes', async () => {
    const id = (await ok(['add', 'Groceries', '--content', 'milk', '--db', db('a')])).trimEnd();
    expect(id).toMatch(UUID);
    expect(await ok(['edit', id, '--content', 'milk, eggs', '--db', db('a')])).toBe('');

    let rows = await lsJson('a');
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!)).toEqual([...NOTE_FIELDS]);
    expect(rows[0]).toMatchObject({
      id,
      title: 'Groceries',
      content: 'milk, eggs',
      deleted_at: null,
      version: 0,
      synced: 0,
    });
    expect(await ok(['show', id, '--db', db('a')])).toContain('milk, eggs');
    // A unique prefix works too.
    expect(JSON.parse(await ok(['show', id.slice(0, 8), '--json', '--db', db('a')]))).toMatchObject(
      { id },
    );

    const status = JSON.parse(await ok(['status', '--json', '--db', db('a')])) as Record<
      string,
      unknown
    >;
    expect(Object.keys(status).sort()).toEqual(['lastSyncAt', 'pending', 'server', 'state']);
    expect(status).toMatchObject({ pending: 2, lastSyncAt: null, server: server.url });

    await ok(['rm', id, '--db', db('a')]);
    expect(await lsJson('a')).toEqual([]);
    rows = await lsJson('a', '--deleted');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.deleted_at).not.toBeNull();
    await ok(['restore', id, '--db', db('a')]);
    expect((await lsJson('a'))[0]).toMatchObject({ id, deleted_at: null });

    const sync = await ferry(['sync', '--db', db('a')]);
    expect(sync.code, sync.stderr).toBe(0);
    const after = JSON.parse(await ok(['status', '--json', '--db', db('a')])) as {
      pending: number;
      lastSyncAt: string | null;
    };
    expect(after.pending).toBe(0);
    expect(after.lastSyncAt).not.toBeNull();
    const synced = (await lsJson('a'))[0]!;
    expect(synced).toMatchObject({ synced: 1 });
    expect(synced.version).toBeGreaterThan(0);

    // The other device gets exactly the same row.
    await ok(['sync', '--db', db('b')]);
    expect(await lsJson('b', '--deleted')).toEqual(await lsJson('a', '--deleted'));

    // Full ids are printed alone by `add`, so scripts can capture them.
    for (const out of [sync.stdout, sync.stderr]) expect(out).not.toContain(tokenA);
  });

  it('fails with distinct exit codes and clear messages; conflicts and rejected list nothing', async () => {
    const missing = '01937000-0000-7000-8000-000000000000';
    const results = await Promise.all([
      ferry(['edit', missing, '--title', 'x', '--db', db('a')]),
      ferry(['rm', missing, '--db', db('a')]),
      ferry(['edit', missing, '--db', db('a')]),
      ferry(['ls', '--bogus', '--db', db('a')]),
      ferry(['add', '--db', db('a')]),
      ferry(['show', 'not-an-id!', '--db', db('a')]),
      ferry(['conflicts', 'resolve', 'nope', '--db', db('a')]),
      ferry(['sync', '--db', db('never-signed-in')]),
      ferry(['rejected', 'dismiss', 'nope', '--db', db('a')]),
    ]);
    const [
      editMissing,
      rmMissing,
      editNothing,
      badFlag,
      noTitle,
      badId,
      bothMissing,
      signedOut,
      dismissMissing,
    ] = results;
    expect([editMissing.code, rmMissing.code]).toEqual([5, 5]);
    expect(editMissing.stderr).toMatch(/^ferry: no notes? .*01937000-0000-7000-8000-000000000000/m);
    expect(editNothing.code).toBe(2);
    expect(editNothing.stderr).toMatch(/--title and\/or --content/);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/unknown option '--bogus'/);
    expect(noTitle.code).toBe(2);
    expect(badId.code).toBe(2);
    expect(bothMissing.code).toBe(2);
    expect(signedOut.code).toBe(4);
    expect(signedOut.stderr).toMatch(/not signed in/);
    expect(dismissMissing.code).toBe(5);
    for (const r of results) expect(r.stdout).toBe('');
    // Nothing was rejected and notes (per-field LWW) never conflict: both lists are empty.
    const [conflicts, rejected] = await Promise.all([
      ok(['conflicts', '--json', '--db', db('a')]),
      ok(['rejected', '--json', '--db', db('a')]),
    ]);
    expect([JSON.parse(conflicts), JSON.parse(rejected)]).toEqual([[], []]);
  });

  it('refuses plain http to a non-loopback host unless --insecure', async () => {
    const [refused, insecure] = await Promise.all([
      ferry(
        ['login', '--server', 'http://ferry.invalid', '--email', 'x@example.com', '--db', db('i1')],
        { password: PASSWORD },
      ),
      ferry(
        [
          'login',
          '--server',
          'http://ferry.invalid',
          '--email',
          'x@example.com',
          '--insecure',
          '--db',
          db('i2'),
        ],
        { password: PASSWORD },
      ),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/insecure|https/i);
    // Allowed, so it really tries the network, which fails.
    expect(insecure.code).toBe(3);
  });

  it('uses $XDG_DATA_HOME/ferry/ferry.db when --db is not given', async () => {
    const xdg = join(dir.path, 'xdg');
    const id = (await ok(['add', 'default place'], { env: { XDG_DATA_HOME: xdg } })).trim();
    expect(id).toMatch(UUID);
    await stat(join(xdg, 'ferry', 'ferry.db'));
  });

  it('writes locally while the server is down; the writes reach the other device once it is back', async () => {
    await server.stop();
    try {
      const id = (
        await ok(['add', 'written offline', '--content', 'no network', '--db', db('a')])
      ).trim();
      await ok(['edit', id, '--title', 'written offline, edited', '--db', db('a')]);
      const down = await ferry(['sync', '--db', db('a')]);
      expect(down.code).toBe(3);
      expect(down.stderr).toMatch(/^ferry: cannot reach/m);
      const status = JSON.parse(await ok(['status', '--json', '--db', db('a')])) as {
        pending: number;
      };
      expect(status.pending).toBe(2);
    } finally {
      await server.restart();
    }
    await ok(['sync', '--db', db('a')]);
    await ok(['sync', '--db', db('b')]);
    const onB = await lsJson('b');
    expect(onB.map((n) => n.title)).toContain('written offline, edited');
    expect(onB).toEqual(await lsJson('a'));
  });

  it('72 notes of 120 000 characters written offline (over the 8 MiB body limit together) drain in one sync: pending 0', async () => {
    await ok(['login', '--server', server.url, '--email', email, '--db', db('big')], {
      password: PASSWORD,
    });
    // Written through the engine on the same file, as `ferry add` would, without 72 processes.
    const f = await openFerry({
      ...ferrySchema,
      driver: await openNodeDriver(db('big')),
      tokenStore: memoryTokenStore(),
    });
    for (let i = 0; i < 72; i++)
      await f.tables.notes.create({
        title: `big ${i}`,
        content: `${i} `.padEnd(120_000, 'lorem ipsum '),
      });
    await f.close();
    expect(
      (JSON.parse(await ok(['status', '--json', '--db', db('big')])) as { pending: number })
        .pending,
    ).toBe(72);
    expect(await ok(['sync', '--db', db('big')])).toMatch(/^Pushed 72, pulled \d+; 0 pending\.$/m);
    expect(
      (JSON.parse(await ok(['status', '--json', '--db', db('big')])) as { pending: number })
        .pending,
    ).toBe(0);
  });

  it('signs out: the token is revoked on the server and sync then fails with the auth exit code', async () => {
    const out = await ferry(['logout', '--db', db('b')]);
    expect(out.code).toBe(0);
    await expect(stat(`${db('b')}.token`)).rejects.toThrow();
    const sync = await ferry(['sync', '--db', db('b')]);
    expect(sync.code).toBe(4);
    // Device a's token is still good.
    expect((await ferry(['sync', '--db', db('a')])).code).toBe(0);
  });
});
