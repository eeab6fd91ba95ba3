/**
 * Saves the editor as you type: the latest draft is written `delayMs` after the last keystroke,
 * one write at a time, and `flush()` writes at once (switching notes, closing the window).
 */

/** Where the editor's save currently stands. */
export const SaveState = {
  saved: 'saved',
  pending: 'pending',
  saving: 'saving',
  error: 'error',
} as const;
export type SaveState = (typeof SaveState)[keyof typeof SaveState];

/** A debounced, single-writer saver of the latest value. */
export class Autosave<T> {
  private latest: T | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** Drafts taken for writing and not written yet. */
  private inFlight = 0;

  constructor(
    private readonly save: (value: T) => Promise<void>,
    private readonly onState: (s: SaveState, error?: unknown) => void,
    private readonly delayMs = 300,
  ) {}

  /** Records a new draft; it is written after the debounce. */
  change(value: T): void {
    this.latest = value;
    this.onState(SaveState.pending);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.delayMs);
  }

  /** True while a draft is waiting or being written. */
  dirty(): boolean {
    return this.latest !== null || this.timer !== null || this.inFlight > 0;
  }

  /** Writes the pending draft now; resolves when every earlier write finished. */
  flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const value = this.latest;
    this.latest = null;
    if (value === null) return this.writing;
    this.inFlight++;
    this.writing = this.writing.then(async () => {
      this.onState(SaveState.saving);
      try {
        await this.save(value);
        this.onState(this.latest === null ? SaveState.saved : SaveState.pending);
      } catch (e) {
        this.onState(SaveState.error, e);
      } finally {
        this.inFlight--;
      }
    });
    return this.writing;
  }
}
