/**
 * Keeps the notes list still while changes arrive from elsewhere (a long first sync writes a page
 * of notes every few hundred milliseconds; without this the rows under the pointer slide down
 * with each page). Once the list shows rows it is anchored to its top row's position: later
 * queries start there, and the notes that now sort above it are counted, not shown ("N new
 * notes"), until the user asks to see them, searches, switches view, or writes something.
 */
import type { CountOptions, ListOptions, ListPosition } from '@ferry/client';
import type { Note } from '@ferry/protocol';

/** The queries one refresh of an anchored (or following) list runs. */
export interface AnchoredQuery {
  list: ListOptions;
  /** How many rows sort above the anchor; null when the list follows the top. */
  above: CountOptions | null;
}

/** A row's place in list order. */
export const positionOf = (n: Pick<Note, 'updated_at' | 'id'>): ListPosition => ({
  updated: n.updated_at,
  id: n.id,
});

/** The anchor of one list view. */
export class ListAnchor {
  private at: ListPosition | null = null;

  /** The anchor's position, or null while the list follows the newest rows. */
  get position(): ListPosition | null {
    return this.at;
  }

  /** The list and count queries for filters `base` (search, trash) under the current anchor. */
  query(base: Omit<ListOptions, 'from'>): AnchoredQuery {
    if (!this.at) return { list: base, above: null };
    const above: CountOptions = { before: this.at };
    if (base.search !== undefined) above.search = base.search;
    if (base.where !== undefined) above.where = base.where;
    if (base.deleted !== undefined) above.deleted = base.deleted;
    return { list: { ...base, from: this.at }, above };
  }

  /**
   * A query answered: a list that follows the top anchors to its first row, if it has one. An
   * anchored list left with no rows while some sort above it lets go (it would look empty); the
   * answer is true then, and the list queries again.
   */
  settle(rows: readonly Pick<Note, 'updated_at' | 'id'>[], above: number): boolean {
    const first = rows[0];
    if (!this.at) {
      if (first) this.at = positionOf(first);
      return false;
    }
    if (first || above === 0) return false;
    this.at = null;
    return true;
  }

  /** Follow the top again (the next query shows the newest rows and anchors to them). */
  release(): void {
    this.at = null;
  }
}
