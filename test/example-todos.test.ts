/**
 * examples/todos (issue 9 item 4) runs as its README says, against real PostgreSQL, so it cannot
 * rot: with a server of its own on DATABASE_URL, and against a server it is given.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '@ferry/server';
import { createTestDatabase, type TestDatabase } from '@ferry/server/testing';

const exec = promisify(execFile);
const example = fileURLToPath(new URL('../examples/todos/', import.meta.url));

/** The converged list the example prints, whichever server it syncs through. */
const CONVERGED = [
  '[x] call the plumber (version 2)',
  '[x] buy milk (version 2)',
  '[ ] write the report (version 1)',
  'converged: 3 todos on both devices',
];

async function runExample(args: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const { stdout } = await exec(
    process.execPath,
    ['--conditions=ferry-source', '--import', 'tsx', 'todos.ts', ...args],
    { cwd: example, env: { ...process.env, ...env }, timeout: 60_000 },
  );
  return stdout.trimEnd().split('\n');
}

describe('examples/todos', () => {
  const dbs: TestDatabase[] = [];
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const db of dbs.splice(0)) await db.drop();
  });
  async function database(): Promise<string> {
    const db = await createTestDatabase();
    dbs.push(db);
    return db.url;
  }

  it('starts its own server on DATABASE_URL and prints the list both devices converged on', async () => {
    expect(await runExample([], { DATABASE_URL: await database() })).toEqual(CONVERGED);
  });

  it('syncs through a server it is given', async () => {
    const { app } = await import('../examples/todos/schema.ts');
    const server = await createServer({ ...app, databaseUrl: await database(), port: 0 });
    servers.push(server);
    expect(await runExample([server.url], { DATABASE_URL: '' })).toEqual(CONVERGED);
  });
});
