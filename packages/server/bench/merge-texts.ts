/**
 * Texts for the merge bench: a seeded note of lines, and pairs of edits of it that change
 * different, non-adjacent lines (so a correct merge applies both and reports no hunk).
 */

/** A seeded PRNG (mulberry32): the same seed gives the same texts. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'ferry note sync merge river harbour boat line word text server client offline device ' +
  'table version change field draft edit paper pencil morning evening list plan idea'
).split(' ');

/** Lines of words (each ending in a newline) until the text holds at least `bytes` characters. */
export function noteLines(rand: () => number, bytes: number): string[] {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const n = 6 + Math.floor(rand() * 10);
    const words = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
    const line = `${words.join(' ')}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines;
}

/** `count` distinct even line indices below `lines`, in random order (needs count ≤ lines / 2). */
export function scatteredLines(rand: () => number, lines: number, count: number): number[] {
  const picked = new Set<number>();
  const slots = Math.floor(lines / 2);
  if (count > slots) throw new Error(`cannot pick ${count} separate lines of ${lines}`);
  while (picked.size < count) picked.add(2 * Math.floor(rand() * slots));
  return [...picked];
}

/** The text with each line at `at` changed (a word appended that names the side and the line). */
export function edited(base: readonly string[], at: readonly number[], tag: string): string[] {
  const out = [...base];
  for (const i of at) out[i] = `${base[i]!.slice(0, -1)} ${tag}${i}\n`;
  return out;
}

/** Two edits of `base` changing `perSide` scattered lines each, and the text both give. */
export function editPair(
  rand: () => number,
  base: readonly string[],
  perSide: number,
): { a: string; b: string; both: string } {
  const at = scatteredLines(rand, base.length, 2 * perSide);
  const atA = at.slice(0, perSide);
  const atB = at.slice(perSide);
  return {
    a: edited(base, atA, 'alpha').join(''),
    b: edited(base, atB, 'beta').join(''),
    both: edited(edited(base, atA, 'alpha'), atB, 'beta').join(''),
  };
}

/** The value at quantile `q` of sorted `xs`. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** CPU milliseconds (user + system) this process has used since `from`. */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** An integer setting from the environment. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number, not "${raw}"`);
  return n;
}
