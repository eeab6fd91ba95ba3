import { describe, expect, it } from 'vitest';
import {
  FerryError,
  Scheduler,
  MAX_SSE_EVENT_CHARS,
  SseParser,
  backoffDelay,
  type EventSourceFn,
  type FerryEvent,
  type SchedulerOptions,
  type SyncOutcome,
  type Syncable,
} from '../src/index.ts';
import { FakeTime, flush } from './fake-time.ts';

const ok: SyncOutcome = { pushed: 0, pulled: 0, complete: true };

/** A Syncable whose syncs the test completes or fails by hand, recording when each started. */
class FakeEngine implements Syncable {
  readonly starts: number[] = [];
  offline: boolean[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private listeners = new Set<(e: FerryEvent) => void>();
  private waiting: { resolve: (o: SyncOutcome) => void; reject: (e: unknown) => void }[] = [];
  /** When set, each sync settles at once with this. */
  auto: (() => SyncOutcome | FerryError) | null = () => ok;

  constructor(private readonly time: FakeTime) {}

  sync(): Promise<SyncOutcome> {
    this.starts.push(this.time.now());
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const p = new Promise<SyncOutcome>((resolve, reject) => this.waiting.push({ resolve, reject }));
    const done = p.finally(() => {
      this.inFlight--;
    });
    if (this.auto) this.settle(this.auto());
    return done;
  }

  settle(r: SyncOutcome | FerryError): void {
    const w = this.waiting.shift();
    if (!w) throw new Error('no sync in flight');
    if (r instanceof FerryError) w.reject(r);
    else w.resolve(r);
  }

  subscribe(l: (e: FerryEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  write(): void {
    for (const l of this.listeners)
      l({ type: 'changed', table: 'notes', ids: ['x'], origin: 'local' });
  }

  setOffline(o: boolean): void {
    this.offline.push(o);
  }

  connection(): Promise<{ server: string; token: string } | null> {
    return Promise.resolve({ server: 'http://127.0.0.1:1', token: 't' });
  }
}

function setup(opts: SchedulerOptions = {}): {
  time: FakeTime;
  engine: FakeEngine;
  s: Scheduler;
  t0: number;
} {
  const time = new FakeTime();
  const engine = new FakeEngine(time);
  const s = new Scheduler(engine, {
    clock: time,
    timers: time,
    random: () => 1,
    eventSource: null,
    ...opts,
  });
  return { time, engine, s, t0: time.now() };
}

const rel = (starts: number[], t0: number): number[] => starts.map((x) => x - t0);

describe('scheduler triggers', () => {
  it('syncs on start, then every interval', async () => {
    const { time, engine, s, t0 } = setup({ intervalMs: 30_000 });
    s.start();
    await flush();
    await time.advance(95_000);
    expect(rel(engine.starts, t0)).toEqual([0, 30_000, 60_000, 90_000]);
    s.stop();
    await time.advance(100_000);
    expect(engine.starts.length).toBe(4);
  });

  it('syncs shortly after a local write; more writes do not postpone it', async () => {
    const { time, engine, s, t0 } = setup({ intervalMs: 30_000, debounceMs: 1000 });
    s.start();
    await flush();
    await time.advance(5000);
    engine.write();
    await time.advance(500);
    engine.write();
    await time.advance(400);
    engine.write();
    await time.advance(2000);
    expect(rel(engine.starts, t0)).toEqual([0, 6000]);
    // The interval restarts after that sync.
    await time.advance(30_000);
    expect(rel(engine.starts, t0)).toEqual([0, 6000, 36_000]);
    s.stop();
  });

  it('syncs on focus, on a poke and when the network comes back; nothing while offline', async () => {
    const { time, engine, s, t0 } = setup({ intervalMs: 30_000 });
    s.start();
    await flush();
    await time.advance(1000);
    s.notifyFocus();
    await flush();
    await time.advance(1000);
    s.notifyPoke();
    await flush();
    s.notifyOffline();
    await time.advance(120_000);
    engine.write();
    s.notifyFocus();
    await time.advance(5000);
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 2000]);
    s.notifyOnline();
    await flush();
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 2000, 127_000]);
    expect(engine.offline).toEqual([true, false]);
    s.stop();
  });

  it('listens to server pokes over the EventSourceFn seam', async () => {
    const time = new FakeTime();
    const engine = new FakeEngine(time);
    let push: ((chunk: string) => void) | null = null;
    const es: EventSourceFn = (req) => {
      expect(req.url).toBe('http://127.0.0.1:1/v1/events');
      expect(req.headers.authorization).toBe('Bearer t');
      const queue: string[] = [];
      let wake: (() => void) | null = null;
      push = (c) => {
        queue.push(c);
        wake?.();
      };
      async function* body(): AsyncIterable<string> {
        for (;;) {
          while (queue.length) yield queue.shift()!;
          await new Promise<void>((r) => (wake = r));
          if (req.signal.aborted) return;
        }
      }
      return Promise.resolve({ status: 200, body: body() });
    };
    const s = new Scheduler(engine, {
      clock: time,
      timers: time,
      random: () => 1,
      eventSource: es,
    });
    s.start();
    await flush();
    expect(engine.starts.length).toBe(1);
    push!(': heartbeat\n\n');
    await flush();
    expect(engine.starts.length).toBe(1);
    push!('event: poke\r\ndata: {"cursor"');
    push!(':"41"}\r\n\r\n');
    await flush();
    expect(engine.starts.length).toBe(2);
    s.stop();
  });
});

describe('a poke the sync ends behind', () => {
  // With several server processes, the one a sync reaches may not have heard of the change the
  // poke (from another process) announced: the sync is tried again shortly, a few times.
  const at = (cursor: string): SyncOutcome => ({ ...ok, cursor });

  it('is chased 50, 100 ms later until the sync reaches it', async () => {
    const { time, engine, s, t0 } = setup({ intervalMs: 30_000 });
    const answers = ['5', '5', '5', '7'];
    engine.auto = () => at(answers.shift() ?? '7');
    s.start();
    await flush();
    await time.advance(1000);
    s.notifyPoke('7');
    await flush();
    await time.advance(40_000);
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 1050, 1150, 31_150]);
    s.stop();
  });

  it('is chased three times at most, not at all when the sync reached it, and needs no sync when one already had', async () => {
    const { time, engine, s, t0 } = setup({ intervalMs: 30_000 });
    engine.auto = () => at('5');
    s.start();
    await flush();
    await time.advance(1000);
    s.notifyPoke('9');
    await flush();
    await time.advance(1000);
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 1050, 1150, 1300]);
    // A poke of a position the last sync reached (its own push, say) starts none at all.
    s.notifyPoke('5');
    await flush();
    await time.advance(1000);
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 1050, 1150, 1300]);
    // One past it does, and is not chased once that sync reaches it.
    engine.auto = () => at('6');
    s.notifyPoke('6');
    await flush();
    await time.advance(1000);
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 1050, 1150, 1300, 3000]);
    s.stop();
  });
});

describe('poke stream reconnects', () => {
  it('reconnects with backoff after failures and ends, and stops the scheduler on 401', async () => {
    const time = new FakeTime();
    const engine = new FakeEngine(time);
    const connects: number[] = [];
    const answers: ('throw' | 'end' | 401)[] = ['throw', 'throw', 'end', 401];
    const es: EventSourceFn = () => {
      connects.push(time.now());
      const a = answers.shift() ?? 401;
      if (a === 'throw') return Promise.reject(new Error('ECONNREFUSED'));
      async function* empty(): AsyncIterable<string> {}
      return Promise.resolve({ status: a === 'end' ? 200 : 401, body: empty() });
    };
    const s = new Scheduler(engine, {
      clock: time,
      timers: time,
      random: () => 1,
      eventSource: es,
      intervalMs: 1_000_000,
    });
    s.start();
    await flush();
    await time.advance(20_000);
    // Backoff 1 s, 2 s, 4 s (full jitter at its top, random() = 1); the 401 stops everything.
    expect(connects.map((t) => t - connects[0]!)).toEqual([0, 1000, 3000, 7000]);
    expect(s.active).toBe(false);
    expect(time.pending).toBe(0);
  });
});

describe('scheduler single-flight', () => {
  it('never runs two syncs at once; triggers during a sync cause exactly one follow-up', async () => {
    const { time, engine, s } = setup();
    engine.auto = null;
    s.start();
    await flush();
    expect(engine.starts.length).toBe(1);
    s.notifyFocus();
    s.notifyPoke();
    engine.write();
    s.notifyFocus();
    await time.advance(5000);
    expect(engine.starts.length).toBe(1);
    engine.settle(ok);
    await flush();
    expect(engine.starts.length).toBe(2);
    engine.settle(ok);
    await flush();
    await time.advance(1000);
    expect(engine.starts.length).toBe(2);
    expect(engine.maxInFlight).toBe(1);
    s.stop();
  });
});

describe('a poke during a sync', () => {
  const at = (cursor: string): SyncOutcome => ({ ...ok, cursor });

  it('starts no follow-up when that sync reached its position, and one when it did not', async () => {
    const { time, engine, s } = setup({ intervalMs: 1_000_000 });
    engine.auto = null;
    s.start();
    await flush();
    s.notifyPoke('8');
    engine.settle(at('8'));
    await flush();
    expect(engine.starts.length).toBe(1);
    s.notifyFocus();
    await flush();
    s.notifyPoke('9');
    engine.settle(at('8'));
    await flush();
    expect(s.history.map((h) => h.trigger)).toEqual(['start', 'focus', 'follow-up']);
    // A poke without a position always asks for a sync.
    s.notifyPoke();
    engine.settle(at('9'));
    await flush();
    expect(engine.starts.length).toBe(4);
    engine.settle(at('9'));
    await flush();
    await time.advance(1000);
    expect(engine.starts.length).toBe(4);
    s.stop();
  });
});

describe('a poke after a restart (another account may have signed in)', () => {
  const at = (cursor: string): SyncOutcome => ({ ...ok, cursor });

  it('is not measured against what the syncs before the restart reached', async () => {
    const { engine, s } = setup({ intervalMs: 1_000_000 });
    engine.auto = () => at('100');
    s.start();
    await flush();
    s.stop();
    // Account B, whose positions are lower: its first sync ends at 5 while a poke says 6.
    engine.auto = null;
    s.start();
    await flush();
    s.notifyPoke('6');
    engine.settle(at('5'));
    await flush();
    expect(s.history.map((h) => h.trigger)).toEqual(['start', 'start', 'follow-up']);
    engine.settle(at('6'));
    await flush();
    s.stop();
  });
});

describe('scheduler and a burst of writes', () => {
  it('syncs a write made during a sync one write delay after that sync ends, not at once', async () => {
    const { time, engine, s } = setup({ debounceMs: 1000, intervalMs: 1_000_000 });
    engine.auto = null;
    s.start();
    await flush();
    engine.write();
    engine.write();
    engine.settle(ok);
    await flush();
    // Back to back, every write would wait behind a sync's transactions.
    expect(engine.starts.length).toBe(1);
    await time.advance(999);
    expect(engine.starts.length).toBe(1);
    await time.advance(1);
    expect(engine.starts.length).toBe(2);
    expect(s.history.map((h) => h.trigger)).toEqual(['start', 'write']);
    engine.settle(ok);
    await flush();
    s.stop();
  });
});

describe('scheduler backoff', () => {
  it('backs off exponentially up to the cap after retryable failures, then resets on success', async () => {
    const { time, engine, s, t0 } = setup({
      backoff: { baseMs: 1000, maxMs: 16_000 },
      intervalMs: 1_000_000,
    });
    let fails = 7;
    engine.auto = () => (fails-- > 0 ? new FerryError('server', 'boom', { status: 500 }) : ok);
    s.start();
    await flush();
    await time.advance(200_000);
    // random() = 1: the top of each jitter range: 1, 2, 4, 8, 16, 16, 16 s.
    const gaps = engine.starts.slice(1).map((x, i) => x - engine.starts[i]!);
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000, 16_000]);
    expect(rel(engine.starts, t0).length).toBe(8);
    s.stop();
  });

  it('uses full jitter: a delay anywhere from 0 to the ceiling', () => {
    for (let attempt = 1; attempt < 12; attempt++) {
      const ceiling = Math.min(300_000, 1000 * 2 ** (attempt - 1));
      expect(backoffDelay(attempt, { baseMs: 1000, maxMs: 300_000 }, () => 0)).toBe(0);
      expect(backoffDelay(attempt, { baseMs: 1000, maxMs: 300_000 }, () => 0.5)).toBe(
        Math.floor(ceiling / 2),
      );
      expect(backoffDelay(attempt, { baseMs: 1000, maxMs: 300_000 }, () => 0.999999)).toBeLessThan(
        ceiling,
      );
    }
  });

  it('honours Retry-After, and ignores write/focus/poke/interval triggers while backing off', async () => {
    const { time, engine, s, t0 } = setup({ random: () => 0, intervalMs: 5000 });
    let first = true;
    engine.auto = () => {
      if (!first) return ok;
      first = false;
      return new FerryError('rate_limited', 'slow down', { status: 429, retryAfterMs: 20_000 });
    };
    s.start();
    await flush();
    await time.advance(1000);
    engine.write();
    s.notifyFocus();
    s.notifyPoke();
    await time.advance(18_000);
    expect(rel(engine.starts, t0)).toEqual([0]);
    await time.advance(1000);
    expect(rel(engine.starts, t0)).toEqual([0, 20_000]);
    s.stop();
  });

  it('online cuts a backoff short', async () => {
    const { time, engine, s, t0 } = setup({ random: () => 1 });
    let n = 0;
    engine.auto = () => (n++ < 3 ? new FerryError('network', 'down') : ok);
    s.start();
    await flush();
    await time.advance(3500); // failures at 0, 1000, 3000
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 3000]);
    s.notifyOnline();
    await flush();
    expect(rel(engine.starts, t0)).toEqual([0, 1000, 3000, 3500]);
    s.stop();
  });

  it('a 401 stops syncing (signed out) until started again', async () => {
    const { time, engine, s, t0 } = setup();
    let n = 0;
    engine.auto = () =>
      n++ === 1 ? new FerryError('unauthorized', 'token revoked', { status: 401 }) : ok;
    const errors: string[] = [];
    const s2 = new Scheduler(engine, {
      clock: time,
      timers: time,
      random: () => 1,
      eventSource: null,
      onError: (e) => errors.push(e.kind),
    });
    void s;
    s2.start();
    await flush();
    await time.advance(30_000);
    expect(rel(engine.starts, t0)).toEqual([0, 30_000]);
    expect(s2.active).toBe(false);
    engine.write();
    s2.notifyFocus();
    s2.notifyOnline();
    await time.advance(600_000);
    expect(engine.starts.length).toBe(2);
    expect(time.pending).toBe(0);
    expect(errors).toEqual(['unauthorized']);
    s2.start();
    await flush();
    expect(engine.starts.length).toBe(3);
    s2.stop();
  });
});

describe('SSE parsing', () => {
  it('handles split chunks, CRLF, comments and multi-line data', () => {
    const p = new SseParser();
    expect(p.push(': hello\n\nevent: po')).toEqual([]);
    expect(p.push('ke\ndata: {"cursor":"1"}\n\ndata: a\ndata: b\n\n')).toEqual([
      { event: 'poke', data: '{"cursor":"1"}' },
      { event: 'message', data: 'a\nb' },
    ]);
    expect(p.push('event: poke\r\ndata: x\r\n\r\n')).toEqual([{ event: 'poke', data: 'x' }]);
  });

  it('refuses an event longer than the bound instead of buffering it forever', () => {
    const p = new SseParser();
    const line = `data: ${'x'.repeat(1000)}\n`;
    for (let n = 0; n < MAX_SSE_EVENT_CHARS / line.length - 1; n++)
      expect(p.push(line)).toEqual([]);
    expect(() => {
      for (let n = 0; n < 2; n++) p.push(line);
    }).toThrow(/without ending an event/);
  });

  it('closes a stream that sends an endless event, and connects again', async () => {
    const time = new FakeTime();
    const engine = new FakeEngine(time);
    const signals: AbortSignal[] = [];
    const es: EventSourceFn = (req) => {
      signals.push(req.signal);
      // Endless for the parser (no event ends); bounded here, so that a test without the bound
      // fails instead of looping.
      async function* endless(): AsyncIterable<string> {
        for (let n = 0; n < 2000 && !req.signal.aborted; n++) {
          await Promise.resolve();
          yield 'data: '.padEnd(4096, 'x');
        }
      }
      return Promise.resolve({ status: 200, body: endless() });
    };
    const s = new Scheduler(engine, {
      clock: time,
      timers: time,
      random: () => 1,
      eventSource: es,
      intervalMs: 1_000_000,
    });
    s.start();
    await flush();
    expect(signals.length).toBe(1);
    expect(signals[0]!.aborted).toBe(true);
    await time.advance(1000);
    expect(signals.length).toBe(2);
    s.stop();
  });
});
