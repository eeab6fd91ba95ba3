import type { FerryEvent } from './api.ts';

/** A listener for FerryEvents. */
export type FerryListener = (event: FerryEvent) => void;

/**
 * Synchronous fan-out of events, in order: an event emitted by a listener while another event is
 * being delivered waits until that delivery has reached every listener. (Delivering it at once
 * would give the listeners after the emitting one the newer event first and the older one last,
 * and a UI that keeps the last status it was told would show a stale one.) A throwing listener
 * does not stop the others.
 */
export class Emitter {
  private readonly listeners = new Set<FerryListener>();
  private readonly queue: FerryEvent[] = [];
  private delivering = false;

  /** Adds a listener; returns a function that removes it. */
  subscribe(l: FerryListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: FerryEvent): void {
    this.queue.push(e);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        this.deliver(next);
      }
    } finally {
      this.delivering = false;
    }
  }

  private deliver(e: FerryEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A UI bug must not break the engine's write or sync path.
      }
    }
  }
}
