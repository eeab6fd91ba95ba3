/**
 * The server as a process: `npm start` on a fresh machine (no DATABASE_URL: the embedded
 * default), graceful shutdown on SIGTERM, and pokes across two server processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, FERRY_SCHEMA_VERSION } from '@ferry/protocol';
import { Device, call, newId, newNote, signup, startTestServer } from './helpers.ts';
import { SseReader } from './sse-client.ts';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(serverDir, '..', '..');

interface Proc {
  readonly child: ChildProcess;
  /** Signals the whole process group. */
  kill(signal: NodeJS.Signals): void;
  readonly url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts a command in its own process group (signals go to the group, as a terminal's Ctrl-C does). */
function startProcess(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Proc> {
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // 'close' waits for every holder of the output pipes: with npm in between, the server itself.
  const exited = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 90 s:\n${out}`)), 90_000);
    const check = (): void => {
      const m = /listening on (https?:\/\/[^\s"]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          output: () => out,
          exited,
          kill: (sig) => {
            try {
              process.kill(-child.pid!, sig);
            } catch {
              // already gone
            }
          },
        });
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${out}`));
    });
  });
}

function envWithout(...keys: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of keys) delete env[k];
  return env;
}

describe('fresh machine', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('`npm start` with no DATABASE_URL serves /readyz 200 from the embedded default, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-fresh-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const p = await startProcess('npm', ['start', '--silent'], repoRoot, {
      ...envWithout('DATABASE_URL'),
      FERRY_DATA_DIR: dataDir,
      PORT: '0',
    });
    try {
      expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ready = await call<{ status: string }>(p.url, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(existsSync(join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
      const u = await signup(p.url);
      const d = new Device(p.url, u.token);
      const r = await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]);
      expect(r.status).toBe(200);

      // An in-flight request: headers and half the body sent, then SIGTERM, then the rest.
      const body = JSON.stringify({
        protocol: PROTOCOL_VERSION,
        clientId: d.clientId,
        schemaVersion: FERRY_SCHEMA_VERSION,
        cursor: '0',
        mutations: [],
      });
      const url = new URL(`${p.url}/v1/sync`);
      const inFlight = new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              authorization: `Bearer ${u.token}`,
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          p.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 300);
        }, 200);
      });
      expect(await inFlight).toBe(200);
      await p.exited;
      expect(p.output()).toContain('"msg":"stopped"');
      // The embedded PostgreSQL was stopped with it.
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      p.kill('SIGKILL');
    }
  }, 180_000);
});

describe('two server processes on one database', () => {
  it('a push through one process pokes a stream held by the other', async () => {
    const s = await startTestServer();
    const other = await startProcess(
      process.execPath,
      ['--conditions=ferry-source', '--import', 'tsx', 'src/main.ts'],
      serverDir,
      {
        ...process.env,
        DATABASE_URL: s.dbUrl,
        PORT: '0',
        LOG_LEVEL: 'trace',
      },
    );
    try {
      const password = 'a very secret passphrase';
      const u = await signup(s.url, undefined, password);
      const login = await call<{ token: string }>(other.url, 'POST', '/v1/auth/login', {
        body: { email: u.email, password },
      });
      expect(login.status).toBe(200);
      await call(other.url, 'POST', '/v1/auth/login', {
        body: { email: u.email, password: `${password} but wrong` },
      });
      const stream = await new SseReader().open(other.url, u.token);
      await stream.waitFor((r) => r.pokes().length === 1);
      const d = new Device(s.url, u.token);
      const r = await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]);
      await stream.waitFor((x) => x.pokes().includes(r.body.cursor));
      // And the other way round.
      const back = await new SseReader().open(s.url, u.token);
      await back.waitFor((x) => x.pokes().length === 1);
      const d2 = new Device(other.url, u.token);
      const r2 = await d2.sync([d2.mutation('notes', newId(), 'upsert', newNote())]);
      await back.waitFor((x) => x.pokes().includes(r2.body.cursor));
      await stream.close();
      await back.close();
      await new Device(other.url, login.body.token).sync();
      // The web app's cookie session: a login, a sync and a sign-out with the cookie.
      const web = await call<{ csrf: string }>(other.url, 'POST', '/v1/auth/login', {
        body: { email: u.email, password, session: 'cookie' },
      });
      const cookieToken = /ferry_session=([^;]+)/.exec(web.headers.getSetCookie().join('\n'))?.[1];
      expect(cookieToken).toMatch(/^[\w-]{43}$/);
      const cookie = { cookie: `ferry_session=${cookieToken}`, 'x-ferry-csrf': web.body.csrf };
      const d3 = new Device(other.url, 'unused');
      const webSync = await call(other.url, 'POST', '/v1/sync', {
        headers: cookie,
        body: {
          protocol: PROTOCOL_VERSION,
          clientId: d3.clientId,
          schemaVersion: FERRY_SCHEMA_VERSION,
          cursor: '0',
          mutations: [d3.mutation('notes', newId(), 'upsert', newNote())],
        },
      });
      expect(webSync.status).toBe(200);
      expect((await call(other.url, 'POST', '/v1/auth/logout', { headers: cookie })).status).toBe(
        204,
      );
      other.kill('SIGTERM');
      expect(await other.exited).toBe(0);
      // Even at trace level the logs carry no password and no token.
      const logs = other.output();
      expect(logs).toContain('/v1/auth/login');
      expect(logs).not.toContain(password);
      expect(logs).not.toContain(login.body.token);
      expect(logs).not.toContain(u.token);
      expect(logs).toContain('/v1/auth/logout');
      expect(logs).not.toContain(cookieToken);
      expect(logs).not.toContain(web.body.csrf);
    } finally {
      other.kill('SIGKILL');
      await s.close();
    }
  }, 120_000);
});
