import type { FerryEvent } from './api.ts';

/** A listener for FerryEvents. */
export type FerryListener = (event: FerryEvent) => void;

/** Synchronous fan-out of events; a throwing listener does not stop the others. */
export class Emitter {
  private readonly listeners = new Set<FerryListener>();

  /** Adds a listener; returns a function that removes it. */
  subscribe(l: FerryListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: FerryEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A UI bug must not break the engine's write or sync path.
      }
    }
  }
}
