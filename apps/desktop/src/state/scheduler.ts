/**
 * When the app syncs: on start, on `online`, on window focus, on the shell's 30 s tick, on a
 * server poke, shortly after each local change, and when the user asks. The engine's `sync()` is
 * already single-flight; this adds the debounce and a capped, jittered backoff after failures,
 * so a dead server is not hammered by focus and tick triggers.
 */
import type { SyncStatus } from '@ferry/client';

/** Why a sync was asked for (shown in logs and tests). */
export const Trigger = {
  start: 'start',
  online: 'online',
  focus: 'focus',
  tick: 'tick',
  poke: 'poke',
  change: 'change',
  manual: 'manual',
} as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];

/** The part of the engine the scheduler drives. */
export interface SyncTarget {
  sync(): Promise<unknown>;
  status(): SyncStatus;
}

/** Timers and randomness, handed in so tests can run on a fake clock. */
export interface SchedulerEnv {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  random(): number;
  isOnline(): boolean;
}

const CHANGE_DEBOUNCE_MS = 1_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

/** Debounces triggers into `target.sync()` calls and backs off after failures. */
export class SyncScheduler {
  private timer: unknown = null;
  private dueAt = Infinity;
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly target: SyncTarget,
    private readonly env: SchedulerEnv,
  ) {}

  /** Asks for a sync now (or after the change debounce); manual requests skip the backoff. */
  request(trigger: Trigger): void {
    if (trigger !== Trigger.manual) {
      if (this.target.status().state === 'signed-out') return;
      // navigator.onLine is only a hint (it can say "offline" on a machine that reaches a
      // loopback server), so it gates the frequent change trigger and nothing else.
      if (trigger === Trigger.change && !this.env.isOnline()) return;
      if (this.env.now() < this.retryAt && trigger !== Trigger.poke) return;
    }
    this.schedule(trigger === Trigger.change ? CHANGE_DEBOUNCE_MS : 0);
  }

  /** Stops pending timers (window closing, tests). */
  stop(): void {
    if (this.timer !== null) this.env.clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = Infinity;
  }

  private schedule(delay: number): void {
    const at = this.env.now() + delay;
    if (this.timer !== null && this.dueAt <= at) return;
    this.stop();
    this.dueAt = at;
    this.timer = this.env.setTimeout(() => {
      this.timer = null;
      this.dueAt = Infinity;
      void this.run();
    }, delay);
  }

  private async run(): Promise<void> {
    try {
      await this.target.sync();
      this.failures = 0;
      this.retryAt = 0;
    } catch {
      // The engine already put the reason in its status; here we only decide when to retry.
      if (this.target.status().state === 'signed-out') return;
      this.failures += 1;
      const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.failures - 1));
      const delay = cap / 2 + this.env.random() * (cap / 2);
      this.retryAt = this.env.now() + delay;
      this.schedule(delay);
    }
  }
}

/** The browser's timers and `navigator.onLine`. */
export const browserEnv: SchedulerEnv = {
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (h) => window.clearTimeout(h as number),
  now: () => Date.now(),
  random: () => Math.random(),
  isOnline: () => navigator.onLine,
};
