import { spawn } from 'node:child_process';
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FERRY_BIN, cleanEnv } from './support/cli.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { tempDir } from './support/tmp.ts';

// docs/cli.md's example session, run as written: a doc that drifts from the code fails here.
const DOC = new URL('../../../docs/cli.md', import.meta.url);

let server: TestServer;
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  server = await startTestServer();
  dir = await tempDir('ferry-docs-');
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

describe('docs/cli.md', () => {
  it('the example session runs as written', { timeout: 120_000 }, async () => {
    const doc = await readFile(DOC, 'utf8');
    const section = doc.slice(doc.indexOf('## Example'));
    const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    expect(script, 'no sh block under "## Example"').toBeDefined();

    // `ferry` on the PATH, as after the README's install step.
    const bin = join(dir.path, 'bin');
    await import('node:fs/promises').then((fs) => fs.mkdir(bin));
    await writeFile(
      join(bin, 'ferry'),
      `#!/bin/sh\nexec "${process.execPath}" "${FERRY_BIN}" "$@"\n`,
    );
    await chmod(join(bin, 'ferry'), 0o755);

    const env = cleanEnv({
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      SERVER: server.url,
      EMAIL: `docs-${Date.now()}@example.com`,
    });
    const child = spawn('bash', ['-euo', 'pipefail', '-x', '-c', script!], {
      cwd: dir.path,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, output).toBe(0);
    // Lines starting with + are bash's trace of the script itself; ferry's own output never
    // shows the password or the token.
    const ferryOutput = output.split('\n').filter((l) => !l.startsWith('+'));
    expect(ferryOutput.join('\n')).not.toContain('correct horse battery');
    expect(ferryOutput.join('\n')).toMatch(/Signed up as/);
    const token = (await readFile(join(dir.path, 'laptop.db.token'), 'utf8')).trim();
    expect(output).not.toContain(token);
  });
});
