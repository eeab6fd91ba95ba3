import { textFields, ferryTables, withTextConflicts } from '@ferry/protocol';

/**
 * The simulation's oracle. Every local write is recorded with the HLC the engine gave it; the
 * expected final value of each field of each row is the value of the write with the greatest HLC
 * among all writes ever made (per-field last writer wins), except for fields that merge as text. A lost write, a write applied out of
 * order or a stale value shows up as a difference.
 */

/** One local write as the engine queued it. */
export interface RecordedWrite {
  client: string;
  table: string;
  id: string;
  hlc: string;
  fields: Readonly<Record<string, unknown>>;
}

/** A row as a client (or the server, via a fresh client) holds it. */
export type RowLike = { readonly id: string };

const field = (row: RowLike, name: string): unknown =>
  (row as unknown as Record<string, unknown>)[name];

interface FieldWinner {
  hlc: string;
  value: unknown;
  client: string;
}

/** Per-field LWW model of every write made during a run. */
export class WriteModel {
  private readonly rows = new Map<string, Map<string, FieldWinner>>();
  private count = 0;

  /** Records one write. */
  record(w: RecordedWrite): void {
    this.count += 1;
    const key = `${w.table}/${w.id}`;
    let fields = this.rows.get(key);
    if (!fields) {
      fields = new Map();
      this.rows.set(key, fields);
    }
    for (const [name, value] of Object.entries(w.fields)) {
      const cur = fields.get(name);
      if (!cur || w.hlc > cur.hlc) fields.set(name, { hlc: w.hlc, value, client: w.client });
    }
  }

  /** How many writes were recorded. */
  get writes(): number {
    return this.count;
  }

  /** The ids of every row written in `table`. */
  ids(table = 'notes'): string[] {
    const prefix = `${table}/`;
    return [...this.rows.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length));
  }

  /**
   * Compares final rows with the model; returns one line per difference (empty: all good).
   * `singleWriter`: each row was written by one device at a time, each write on top of the one
   * before, so a three-way text merge must end at the last write like last-writer-wins does, and
   * text fields are compared too.
   */
  diff(
    actual: readonly RowLike[],
    table = 'notes',
    opts: { singleWriter?: boolean } = {},
  ): string[] {
    const out: string[] = [];
    // Fields declared `merge: 'text'` merge three-way instead (the text simulation checks them;
    // here every client must still equal the server, which diffRows checks).
    const decl = withTextConflicts(ferryTables).find((t) => t.name === table);
    const merged = new Set(decl && !opts.singleWriter ? textFields(decl) : []);
    const byId = new Map(actual.map((r) => [r.id, r]));
    for (const id of this.ids(table)) {
      const row = byId.get(id);
      const fields = this.rows.get(`${table}/${id}`)!;
      if (!row) {
        out.push(
          `${table} ${id}: missing (written by ${[...new Set([...fields.values()].map((f) => f.client))].join(', ')})`,
        );
        continue;
      }
      for (const [name, want] of fields) {
        if (merged.has(name)) continue;
        if (!sameValue(field(row, name), want.value)) {
          out.push(
            `${table} ${id}.${name}: expected ${show(want.value)} (hlc ${want.hlc} by ${want.client}), found ${show(field(row, name))}`,
          );
        }
      }
    }
    const known = new Set(this.ids(table));
    for (const r of actual)
      if (!known.has(r.id)) out.push(`${table} ${r.id}: present but never written`);
    return out;
  }
}

/**
 * Compares two clients' rows field by field (the fields of `reference`'s rows, minus `ignore`).
 * Returns one line per difference.
 */
export function diffRows(
  referenceName: string,
  reference: readonly RowLike[],
  otherName: string,
  other: readonly RowLike[],
  ignore: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const theirs = new Map(other.map((r) => [r.id, r]));
  for (const r of reference) {
    const o = theirs.get(r.id);
    if (!o) {
      out.push(`${otherName} lacks ${r.id} (present on ${referenceName})`);
      continue;
    }
    for (const k of Object.keys(r)) {
      if (ignore.includes(k)) continue;
      if (!sameValue(field(r, k), field(o, k)))
        out.push(
          `${otherName} ${r.id}.${k} = ${show(field(o, k))}, ${referenceName} has ${show(field(r, k))}`,
        );
    }
    theirs.delete(r.id);
  }
  for (const id of theirs.keys()) out.push(`${otherName} has ${id}, absent on ${referenceName}`);
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  // SQLite and JSON may disagree on undefined vs null for a never-set nullable field.
  return (a ?? null) === (b ?? null);
}

function show(v: unknown): string {
  const s = JSON.stringify(v ?? null);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
