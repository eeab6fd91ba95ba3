/**
 * A tab that does not hold the database: its engine is a stand-in that forwards every call to
 * the tab that does (`leader.ts`) over the BroadcastChannel, and hears that tab's events, so the
 * shared UI runs on it unchanged. It keeps no data of its own.
 */
import { ErrorKind, FerryError, type FerryEvent, type SyncStatus } from '@ferry/client';
import type { AppShell, NotesFerry } from '@ferry/ui';
import { LOCAL_ONLY, TABS_CHANNEL, type Op, type TabMessage, type WireError } from './messages.ts';

/** The shell of a follower tab, and how to stop following (when this tab takes over). */
export interface Follower {
  shell: AppShell;
  stop(): void;
}

interface Waiting {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

function fromWire(e: WireError): Error {
  const kinds: readonly string[] = Object.values(ErrorKind);
  return e.kind !== undefined && kinds.includes(e.kind)
    ? new FerryError(e.kind as ErrorKind, e.message)
    : new Error(e.message);
}

const LEADER_GONE = 'The tab that held your notes closed before answering; try again.';

/** Waits for the leading tab to answer, then returns a shell that forwards to it. */
export function followLeader(win: Window, deviceName: string): Promise<Follower> {
  const channel = new BroadcastChannel(TABS_CHANNEL);
  const tab = crypto.randomUUID();
  const waiting = new Map<string, Waiting>();
  const listeners = new Set<(e: FerryEvent) => void>();
  let nextId = 1;
  let leader: string | null = null;
  let clientId = '';
  let status: SyncStatus | null = null;
  let ready: (() => void) | null = null;

  const post = (m: TabMessage): void => channel.postMessage(m);
  const call = (op: Op, args: unknown[]): Promise<unknown> => {
    const id = `${tab}:${nextId++}`;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      post({ t: 'call', id, op, args });
    });
  };
  const failWaiting = (): void => {
    for (const w of waiting.values()) w.reject(new Error(LEADER_GONE));
    waiting.clear();
  };
  const emit = (e: FerryEvent): void => {
    for (const l of listeners) l(e);
  };

  channel.onmessage = (e: MessageEvent<TabMessage>) => {
    const m = e.data;
    if (m.t === 'hello' || m.t === 'event') {
      // A new leader never saw the calls sent to the old one.
      if (leader !== null && m.leader !== leader) failWaiting();
      leader = m.leader;
      clientId = m.clientId;
    }
    if (m.t === 'hello') {
      status = m.status;
      emit({ type: 'status', status: m.status });
      ready?.();
    } else if (m.t === 'event') {
      if (m.event.type === 'status') status = m.event.status;
      emit(m.event);
    } else if (m.t === 'reply') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(fromWire(m.error));
    } else if (m.t === 'reload') {
      win.location.reload();
    }
  };

  /** An object whose every method (but `local`'s own members) is forwarded as `op(name)`. */
  const forwarding = (local: object, op: (name: string) => Op): object =>
    new Proxy(local, {
      get(target, name) {
        if (typeof name !== 'string' || name in target || LOCAL_ONLY.includes(name))
          return Reflect.get(target, name) as unknown;
        return (...args: unknown[]) => call(op(name), args);
      },
    });
  /** `tables.<table>`: each table's methods forwarded, whatever tables the app declares. */
  const tables = new Proxy(
    {},
    {
      get: (_, table) =>
        typeof table === 'string' && table !== 'then'
          ? forwarding({}, (name) => ({ kind: 'table', table, name }))
          : undefined,
    },
  );

  // The stand-in answers what it knows (its id, status and events) and forwards every method.
  const ferry = forwarding(
    {
      tables,
      get clientId() {
        return clientId;
      },
      status: () => ({ ...status! }),
      subscribe(listener: (e: FerryEvent) => void) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      // The leader's engine stays open; erasing goes through `eraseLocalData`.
      close: () => Promise.resolve(),
    },
    (name) => ({ kind: 'engine', name }),
  ) as NotesFerry;

  const shell: AppShell = {
    ferry,
    sync: {
      scheduler: { stop: () => undefined },
      restart: () => void call({ kind: 'shell', name: 'restart' }, []).catch(() => undefined),
    },
    tokenStore: 'a cookie of this site that page scripts cannot read',
    defaultServer: win.location.origin,
    deviceName,
    eraseLocalData: async () => {
      await call({ kind: 'shell', name: 'erase' }, []);
    },
  };

  return new Promise<Follower>((resolve) => {
    ready = () => {
      ready = null;
      resolve({
        shell,
        stop() {
          failWaiting();
          listeners.clear();
          channel.close();
        },
      });
    };
    post({ t: 'who' });
  });
}
