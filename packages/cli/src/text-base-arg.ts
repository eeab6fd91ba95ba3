/**
 * The base of a note's text as `ferry show --json` prints it and `ferry edit --base` reads it:
 * `v<version>` (the server's text at that version) or `s<seq>` (this device's own edit, the
 * outbox entry of that seq). Text written from an earlier `show` is then merged against what
 * was shown, not against whatever a sync pulled in since (docs/cli.md).
 */
import type { TextBase } from '@ferry/client';
import { usage } from './errors.ts';

/** The printed form of a base; null when the base is not known (a row never synced). */
export function formatTextBase(b: TextBase): string | null {
  if (b.baseSeq != null) return `s${b.baseSeq}`;
  if (b.textVersion != null) return `v${b.textVersion}`;
  return null;
}

/** The value of `--base`. */
export function parseTextBase(raw: string): TextBase {
  const m = /^([vs])([1-9]\d{0,15})$/.exec(raw.trim());
  if (!m)
    throw usage(
      `--base must be what \`ferry show --json\` printed as textBase (v12, s34), not ${raw}`,
    );
  const n = Number(m[2]);
  return m[1] === 'v' ? { baseSeq: null, textVersion: n } : { baseSeq: n, textVersion: null };
}
