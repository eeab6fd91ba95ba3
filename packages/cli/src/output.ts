import type { SyncStatus } from '@ferry/client';
import type { Note } from '@ferry/protocol';

/** The seed's columns, in the seed's order: exactly what `ls --json` and `show --json` print. */
export const NOTE_FIELDS = [
  'id',
  'title',
  'content',
  'created_at',
  'updated_at',
  'deleted_at',
  'version',
  'synced',
] as const;

/** A note reduced to the seed's fields (the engine may carry more columns internally). */
export function noteJson(row: object): Note {
  const src = row as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const f of NOTE_FIELDS) out[f] = src[f] ?? null;
  out.version = Number(out.version ?? 0);
  out.synced = Number(out.synced) === 1 ? 1 : 0;
  return out as unknown as Note;
}

/** The fields a line of `ls` shows. */
export const LINE_FIELDS = ['title', 'synced', 'deleted_at'] as const;

/** One line per note for people: short id, flags, title. */
export function formatNoteLine(n: Pick<Note, 'id' | (typeof LINE_FIELDS)[number]>): string {
  const flags = `${Number(n.synced) === 1 ? ' ' : '*'}${n.deleted_at === null ? ' ' : 'D'}`;
  return `${n.id}  ${flags}  ${oneLine(n.title)}`;
}

/** A note in full, for `show`. */
export function formatNote(n: Note): string {
  const lines = [
    `id:         ${n.id}`,
    `title:      ${n.title}`,
    `created_at: ${n.created_at}`,
    `updated_at: ${n.updated_at}`,
  ];
  if (n.deleted_at !== null) lines.push(`deleted_at: ${n.deleted_at}`);
  lines.push(
    `version:    ${n.version}`,
    `synced:     ${n.synced === 1 ? 'yes' : 'no (queued)'}`,
    '',
    n.content,
  );
  return lines.join('\n');
}

/** The sync status for people. */
export function formatStatus(s: SyncStatus): string {
  const lines = [
    `state:     ${s.state}`,
    `pending:   ${s.pending}`,
    `last sync: ${s.lastSyncAt ?? 'never'}`,
    `server:    ${s.server ?? 'none (run `ferry login`)'}`,
  ];
  if (s.lastError) lines.push(`error:     ${s.lastError.message} (${s.lastError.code})`);
  return lines.join('\n');
}

/** Titles can hold newlines; a list shows them on one line. */
export function oneLine(s: string, max = 80): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** JSON for machines: one document, newline-terminated. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
