import { createTestDatabase, type TestDatabase } from '@ferry/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, spawnFerry } from './support/cli.ts';

// `ferry serve`: one command brings a server up (on a throwaway PostgreSQL database here), and
// SIGINT takes it down cleanly.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('ferry serve', () => {
  it('serves the API until SIGINT, then exits 0', async () => {
    const child = spawnFerry([
      'serve',
      '--database-url',
      db.url,
      '--port',
      '0',
      '--log-level',
      'warn',
    ]);
    const done = collect(child);
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${err}`)));
    });
    try {
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const signup = await fetch(`${url}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'serve@example.com', password: 'serve password' }),
      });
      expect(signup.status).toBe(201);
    } finally {
      child.kill('SIGINT');
    }
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
  });

  it('rejects a bad flag with the usage exit code', async () => {
    const r = await collect(spawnFerry(['serve', '--port', 'eighty']));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port must be an integer/);
  });
});
