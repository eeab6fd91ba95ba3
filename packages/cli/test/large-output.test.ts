import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFerry, spawnFerry } from './support/cli.ts';
import { tempDir } from './support/tmp.ts';

// A command's whole output reaches a pipe. Output larger than a pipe's buffer (64 KiB) is written
// in part and queued; `ferry` exiting before the queue drained cut `ferry ls | wc -l` at a few
// thousand of 10 000 notes.
const NOTES = 10_000;
let dir: { path: string; remove(): Promise<void> };
const db = (): string => join(dir.path, 'big.db');

beforeAll(async () => {
  dir = await tempDir('ferry-large-output-');
  const seed = join(dir.path, 'notes.json');
  const notes = Array.from({ length: NOTES }, (_, i) => ({ title: `note ${i}`, content: `${i}` }));
  await writeFile(seed, JSON.stringify(notes));
  const r = await runFerry(['import', seed, '--db', db()]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await dir?.remove();
});

it('prints every line of a long listing into a pipe', async () => {
  const r = await runFerry(['ls', '--db', db()]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.split('\n').filter((l) => l.includes('note ')).length).toBe(NOTES);
  expect(r.stdout.endsWith('\n')).toBe(true);
});

it('prints a long JSON listing whole into a pipe', async () => {
  const r = await runFerry(['ls', '--json', '--db', db()]);
  expect(r.code, r.stderr).toBe(0);
  expect((JSON.parse(r.stdout) as unknown[]).length).toBe(NOTES);
});

it('stops quietly when the reader closes the pipe early (`ferry ls | head -1`)', async () => {
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawnFerry(['ls', '--db', db()]);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Like `head -1`: read the first chunk, then close the read end.
    child.stdout!.once('data', () => child.stdout!.destroy());
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(141); // what a shell reports for `cat big | head -1`'s cat: 128 + SIGPIPE
});
