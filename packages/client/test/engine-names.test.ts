import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The engine and the server serve whatever tables an app declares: no source of theirs names
// Ferry's own `notes` (or a note). Ferry's tables live in its app schema
// (packages/protocol/src/ferry-schema.ts); `npm start`'s entry (server/src/main.ts) hands them in.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const scanned = ['packages/client/src', 'packages/server/src'];
const allowed = new Set(['packages/server/src/main.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/** `file:line: text` for every line that names a note. */
function namings(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) =>
        /\bnotes?\b/i.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [],
      ),
  );
}

describe('engine and server sources', () => {
  const files = scanned
    .flatMap((d) => sources(join(root, d)))
    .filter((f) => !allowed.has(relative(root, f)));

  it('are found', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('never name notes', () => {
    expect(namings(files)).toEqual([]);
  });

  it('the check finds a naming (so it can fail)', () => {
    expect(
      namings([fileURLToPath(new URL('../../protocol/src/ferry-schema.ts', import.meta.url))]),
    ).not.toEqual([]);
  });
});
