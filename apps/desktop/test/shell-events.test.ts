// @vitest-environment jsdom
/**
 * The desktop's poke path: the Rust shell opens `GET /v1/events` (it holds the token) and only
 * forwards the body's bytes over a Tauri channel; the engine's own listener and SSE parser turn
 * them into pokes, as on the web and in Node.
 */
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { PokeListener, systemTimers, type FerryEvent, type SyncOutcome } from '@ferry/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createShellEventSource } from '../src/shell/event-source.ts';
import { startSyncTriggers } from '../src/sync-triggers.ts';

afterEach(() => clearMocks());

interface ChannelLike {
  id: number;
}
type Internals = { runCallback(id: number, data: unknown): void };

/** A shell whose `events_open` answers 200 and keeps the channel the page handed it. */
function fakeEventsShell() {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  let channel: ChannelLike | null = null;
  let index = 0;
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (cmd === 'events_open') {
      channel = args.onMessage as ChannelLike;
      index = 0;
      return { id: 7, status: 200 };
    }
    return null;
  });
  const deliver = (message: unknown): void => {
    if (!channel) throw new Error('no stream is open');
    const internals = (window as unknown as { __TAURI_INTERNALS__: Internals }).__TAURI_INTERNALS__;
    internals.runCallback(channel.id, { message, index: index++ });
  };
  return {
    calls,
    /** Forwards bytes as the shell does: an ArrayBuffer per chunk. */
    send: (bytes: Uint8Array): void => deliver(bytes.slice().buffer),
    /** The stream ended. */
    end: (): void => deliver(null),
  };
}

/** The engine as the triggers see it: signed in, each sync recorded. */
function fakeEngine() {
  const syncs: number[] = [];
  return {
    syncs,
    sync: (): Promise<SyncOutcome> => {
      syncs.push(syncs.length);
      return Promise.resolve({ pushed: 0, pulled: 0, complete: true });
    },
    subscribe: (_listener: (e: FerryEvent) => void) => () => {},
    setOffline: () => {},
    connection: () =>
      Promise.resolve({ server: 'http://127.0.0.1:8787', token: 'ferry-desktop-held-token' }),
    status: () => ({ state: 'idle' as const }),
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('the desktop poke path', () => {
  it('parses the bytes the shell forwards, split mid-line, into pokes', async () => {
    const shell = fakeEventsShell();
    const cursors: string[] = [];
    const listener = new PokeListener({
      eventSource: createShellEventSource(),
      connection: () =>
        Promise.resolve({ server: 'http://127.0.0.1:8787', token: 'ferry-desktop-held-token' }),
      onPoke: (cursor) => cursors.push(cursor),
      onUnauthorized: () => {},
      timers: systemTimers,
      random: () => 0.5,
    });
    listener.start();
    await flush();
    expect(shell.calls.map((c) => c.cmd)).toEqual(['events_open']);
    // The page asks with the placeholder; the shell puts the real token in (http.rs `authorize`).
    expect(shell.calls[0]?.args.request).toEqual({
      url: 'http://127.0.0.1:8787/v1/events',
      headers: { authorization: 'Bearer ferry-desktop-held-token', accept: 'text/event-stream' },
    });
    const text = ': connected\r\n\r\nevent: poke\ndata: {"cursor":"4"}\n\nevent: po';
    const bytes = new TextEncoder().encode(text);
    shell.send(bytes.subarray(0, 20));
    shell.send(bytes.subarray(20, 40));
    shell.send(bytes.subarray(40));
    shell.send(new TextEncoder().encode('ke\r\ndata: {"cursor":"9"}\r\n\r\n'));
    await flush();
    expect(cursors).toEqual(['4', '9']);
    listener.stop();
    await flush();
    expect(shell.calls.map((c) => c.cmd)).toEqual(['events_open', 'events_close']);
    expect(shell.calls[1]?.args).toEqual({ id: 7 });
  });

  it('hands the engine the body as text, a character split between chunks whole', async () => {
    const shell = fakeEventsShell();
    const open = createShellEventSource();
    const res = await open({
      url: 'http://127.0.0.1:8787/v1/events',
      headers: {},
      signal: new AbortController().signal,
    });
    expect(res.status).toBe(200);
    const bytes = new TextEncoder().encode('data: é\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    shell.send(bytes.subarray(0, cut));
    shell.send(bytes.subarray(cut));
    shell.end();
    let text = '';
    for await (const chunk of res.body) text += chunk;
    expect(text).toBe('data: é\n\n');
  });

  it("is what the app's sync triggers listen to: a poke from the shell starts a sync", async () => {
    const shell = fakeEventsShell();
    const engine = fakeEngine();
    const { scheduler } = await startSyncTriggers(engine, window);
    await flush();
    expect(shell.calls.filter((c) => c.cmd === 'events_open')).toHaveLength(1);
    const before = engine.syncs.length;
    shell.send(new TextEncoder().encode('event: poke\ndata: {"cursor":"3"}\n\n'));
    await flush();
    expect(scheduler.history.at(-1)?.trigger).toBe('poke');
    expect(engine.syncs.length).toBe(before + 1);
    scheduler.stop();
  });

  it('ends the body when the shell says the stream ended, so the listener reconnects', async () => {
    const shell = fakeEventsShell();
    const retries: (() => void)[] = [];
    const listener = new PokeListener({
      eventSource: createShellEventSource(),
      connection: () =>
        Promise.resolve({ server: 'http://127.0.0.1:8787', token: 'ferry-desktop-held-token' }),
      onPoke: () => {},
      onUnauthorized: () => {},
      timers: { setTimeout: (fn) => retries.push(fn), clearTimeout: () => {} },
      random: () => 0.5,
    });
    listener.start();
    await flush();
    shell.end();
    await flush();
    expect(retries).toHaveLength(1);
    retries[0]!();
    await flush();
    expect(shell.calls.map((c) => c.cmd)).toEqual(['events_open', 'events_open']);
    listener.stop();
  });
});
