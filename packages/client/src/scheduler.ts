import type { FerryEvent, SyncOutcome } from './api.ts';
import { toFerryError, type FerryError } from './errors.ts';
import { PokeListener, fetchEventSource, type EventSourceFn } from './poke.ts';
import {
  backoffDelay,
  systemClock,
  systemTimers,
  type BackoffOptions,
  type Clock,
  type Timers,
} from './timers.ts';

/** The part of the engine the scheduler drives. `Ferry` has this shape. */
export interface Syncable {
  sync(): Promise<SyncOutcome>;
  subscribe(listener: (e: FerryEvent) => void): () => void;
  setOffline(offline: boolean): void;
  /** Server and token for the poke stream, or null when signed out. */
  connection(): Promise<{ server: string; token: string } | null>;
}

export interface SchedulerOptions {
  /** Periodic sync, default 30 s. */
  intervalMs?: number;
  /** Delay after a local write, default 1 s (later writes do not push it back). */
  debounceMs?: number;
  /** Failure backoff, default 1 s doubling to 5 min, full jitter. */
  backoff?: BackoffOptions;
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
  /** Poke stream; default the platform's fetch; null disables it. */
  eventSource?: EventSourceFn | null;
  /** Called with every failed sync (the status has it too). */
  onError?: (e: FerryError) => void;
}

/** Syncs after a poke that end behind it are tried again this many times, 50, 100, 150 ms later. */
const POKE_CHASES = 3;
const POKE_CHASE_MS = 50;

/** Why a sync was asked for. */
export type Trigger =
  'start' | 'interval' | 'write' | 'online' | 'focus' | 'poke' | 'retry' | 'follow-up';

/**
 * Decides when to sync: on start, every `intervalMs`, shortly after local writes, when the host
 * reports the network back or a window focus, and on a server poke. At most one sync runs; a
 * trigger during a sync causes exactly one follow-up, at once, except a local write's: that one
 * waits the write delay from the sync's end, so a burst of writes does not keep the database
 * busy with back-to-back syncs (each write would otherwise wait behind one). A retryable failure backs off (exponential,
 * full jitter, capped, at least `Retry-After`) and only `online` cuts the wait short; a 401 or a
 * request the server will never accept stops the scheduler until `start()` is called again.
 */
export class Scheduler {
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly backoff: BackoffOptions;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly poke: PokeListener | null;
  private timer: { handle: unknown; due: number } | null = null;
  private running = false;
  private inFlight = false;
  private followUp = false;
  /** A local write came during the sync in flight: sync again `debounceMs` after it ends. */
  private writeWaiting = false;
  /** A poke came during the sync in flight: sync again at once unless that sync reached it. */
  private pokeWaiting = false;
  /** A poke without a position came: whatever the syncs reached, it asks for one. */
  private pokeBlind = false;
  /** The position the last successful sync ended at (its outcome's cursor). */
  private reached: bigint | null = null;
  private offline = false;
  private attempt = 0;
  private backoffUntil = 0;
  private unsubscribe: (() => void) | null = null;
  /** The highest position a poke announced that no sync has reached yet, and the tries since. */
  private pokedTo: bigint | null = null;
  private chases = 0;
  /** The last 100 syncs the scheduler started, with their triggers (for tests and diagnostics). */
  readonly history: { trigger: Trigger; at: number; ok?: boolean }[] = [];

  constructor(
    private readonly target: Syncable,
    private readonly opts: SchedulerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.debounceMs = opts.debounceMs ?? 1000;
    this.backoff = opts.backoff ?? { baseMs: 1000, maxMs: 5 * 60_000 };
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? systemTimers;
    this.random = opts.random ?? Math.random;
    const es = opts.eventSource === undefined ? fetchEventSource : opts.eventSource;
    this.poke =
      es === null
        ? null
        : new PokeListener({
            eventSource: es,
            connection: () => target.connection(),
            onPoke: (cursor) => this.notifyPoke(cursor),
            onUnauthorized: () => this.stop(),
            timers: this.timers,
            random: this.random,
          });
  }

  /** True between start() and stop() (or a 401). */
  get active(): boolean {
    return this.running;
  }

  /** Starts: syncs now, then on every trigger; listens for pokes. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.backoffUntil = 0;
    // What the syncs reached and pokes announced may be another account's (a sign-in since).
    this.reached = null;
    this.pokedTo = null;
    this.chases = 0;
    this.unsubscribe = this.target.subscribe((e) => {
      if (e.type === 'changed' && e.origin === 'local') this.request('write');
    });
    if (!this.offline) this.poke?.start();
    this.request('start');
  }

  /** Stops every timer and the poke stream; a sync under way finishes. */
  stop(): void {
    this.running = false;
    this.clearTimer();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.poke?.stop();
  }

  /** The host saw the network come back: sync now, even during a backoff. */
  notifyOnline(): void {
    this.offline = false;
    this.target.setOffline(false);
    this.attempt = 0;
    this.backoffUntil = 0;
    if (this.running) this.poke?.start();
    this.request('online');
  }

  /** The host saw the network go: no syncs until it comes back. */
  notifyOffline(): void {
    this.offline = true;
    this.target.setOffline(true);
    this.clearTimer();
    this.poke?.stop();
  }

  /** A window gained focus. */
  notifyFocus(): void {
    this.request('focus');
  }

  /**
   * The server said something changed, up to position `cursor` when the poke said so. A sync
   * that ends behind it is tried again shortly, a few times: with several server processes, the
   * one answering may not have heard of the change yet (docs/scaling.md, "Idle polls").
   */
  notifyPoke(cursor?: string): void {
    const at = cursor !== undefined && /^[0-9]{1,19}$/.test(cursor) ? BigInt(cursor) : null;
    // A change a sync of this device has already pulled: most often its own push, since the
    // server pokes every stream of the account.
    if (at !== null && this.reached !== null && at <= this.reached) return;
    if (at === null) this.pokeBlind = true;
    else if (this.pokedTo === null || at > this.pokedTo) {
      this.pokedTo = at;
      this.chases = 0;
    }
    this.request('poke');
  }

  /** Whether a poke that came during the sync just ended asks for another one. */
  private pokeAhead(): boolean {
    return this.pokeBlind || (this.pokedTo !== null && (this.reached ?? -1n) < this.pokedTo);
  }

  /** True (and counted) when a sync that ended at `cursor` should chase a poke it is behind. */
  private chasePoke(cursor: string | undefined): boolean {
    if (this.pokedTo === null || cursor === undefined) return false;
    if (BigInt(cursor) >= this.pokedTo || this.chases >= POKE_CHASES) {
      this.pokedTo = null;
      return false;
    }
    this.chases++;
    return true;
  }

  private request(trigger: Trigger, timerFired = false): void {
    if (!this.running || this.offline) return;
    if (this.inFlight) {
      if (trigger === 'write' && !timerFired) this.writeWaiting = true;
      else if (trigger === 'poke') this.pokeWaiting = true;
      else this.followUp = true;
      return;
    }
    const now = this.clock.now();
    if (trigger !== 'online' && trigger !== 'retry' && now < this.backoffUntil) return; // the backoff timer will sync
    if (trigger === 'write' && !timerFired) this.schedule(this.debounceMs, 'write');
    else this.run(trigger);
  }

  /** Arms the one timer for `delayMs` from now, unless it is already due sooner. */
  private schedule(delayMs: number, trigger: Trigger): void {
    const due = this.clock.now() + delayMs;
    if (this.timer && this.timer.due <= due) return;
    this.clearTimer();
    const handle = this.timers.setTimeout(() => {
      this.timer = null;
      if (trigger === 'retry') this.run('retry');
      else this.request(trigger, true);
    }, delayMs);
    this.timer = { handle, due };
  }

  private clearTimer(): void {
    if (this.timer) this.timers.clearTimeout(this.timer.handle);
    this.timer = null;
  }

  private run(trigger: Trigger): void {
    if (!this.running || this.offline) return;
    this.clearTimer();
    this.inFlight = true;
    this.followUp = false;
    this.writeWaiting = false;
    // The pokes so far announced commits this sync's pull will see.
    this.pokeWaiting = false;
    this.pokeBlind = false;
    const entry: (typeof this.history)[number] = { trigger, at: this.clock.now() };
    this.history.push(entry);
    if (this.history.length > 100) this.history.splice(0, this.history.length - 100);
    this.target.sync().then(
      (outcome) => {
        entry.ok = true;
        this.inFlight = false;
        this.attempt = 0;
        this.backoffUntil = 0;
        if (outcome.cursor !== undefined && /^[0-9]{1,19}$/.test(outcome.cursor))
          this.reached = BigInt(outcome.cursor);
        if (!this.running || this.offline) return;
        const poked = this.pokeWaiting && this.pokeAhead();
        this.pokeWaiting = false;
        if (this.followUp || poked) {
          this.followUp = false;
          this.run('follow-up');
          return;
        }
        // The one timer keeps whichever is due first: this, a poke's chase, or the interval.
        if (this.writeWaiting) this.schedule(this.debounceMs, 'write');
        if (this.chasePoke(outcome.cursor)) {
          this.schedule(POKE_CHASE_MS * this.chases, 'poke');
          return;
        }
        this.schedule(this.intervalMs, 'interval');
      },
      (e: unknown) => {
        entry.ok = false;
        this.inFlight = false;
        this.followUp = false;
        this.writeWaiting = false;
        this.pokeWaiting = false;
        const err = toFerryError(e);
        this.opts.onError?.(err);
        if (!this.running) return;
        if (!err.retryable) {
          // 401 (signed out) or a request the server will never accept: retrying unchanged cannot help.
          this.stop();
          return;
        }
        this.attempt++;
        const delay = backoffDelay(this.attempt, this.backoff, this.random, err.retryAfterMs);
        this.backoffUntil = this.clock.now() + delay;
        if (!this.offline) this.schedule(delay, 'retry');
      },
    );
  }
}

/** A scheduler for an engine; call `start()` once signed in. */
export function createScheduler(target: Syncable, opts: SchedulerOptions = {}): Scheduler {
  return new Scheduler(target, opts);
}
