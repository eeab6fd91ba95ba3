/**
 * The tab that holds the database answers the other tabs: it runs the engine calls they forward
 * and tells them every engine event, so a write in any tab shows in all of them at once.
 */
import { FerryError } from '@ferry/client';
import type { NotesFerry } from '@ferry/ui';
import { LOCAL_ONLY, TABS_CHANNEL, type Op, type TabMessage, type WireError } from './messages.ts';

/** What the leader does for the shell operations a follower forwards. */
export interface LeaderShellOps {
  restart(): void;
  /** Closes the engine and drops the local database. */
  erase(): Promise<void>;
}

type Fn = (...args: unknown[]) => Promise<unknown>;

/** The method `op` names, bound to its object; null for anything else. */
function method(ferry: NotesFerry, op: Op): Fn | null {
  if (op.name.startsWith('_') || (op.kind === 'engine' && LOCAL_ONLY.includes(op.name)))
    return null;
  const tables = ferry.tables as unknown as Record<string, object | undefined>;
  const target = (op.kind === 'table' ? tables[op.table] : ferry) as
    Record<string, unknown> | undefined;
  if (!target) return null;
  const fn = target[op.name];
  return typeof fn === 'function' ? (fn as Fn).bind(target) : null;
}

function toWire(e: unknown): WireError {
  if (e instanceof FerryError) return { message: e.message, kind: e.kind };
  return { message: e instanceof Error ? e.message : String(e) };
}

export interface TabsServer {
  /** Tells every other tab to start again (the local database was erased). */
  reloadOthers(): void;
  stop(): void;
}

/** Serves the other tabs until `stop` (or the tab closes). */
export function serveTabs(ferry: NotesFerry, shell: LeaderShellOps): TabsServer {
  const leader = crypto.randomUUID();
  const channel = new BroadcastChannel(TABS_CHANNEL);
  const post = (m: TabMessage): void => channel.postMessage(m);
  const hello = (): void =>
    post({ t: 'hello', leader, clientId: ferry.clientId, status: ferry.status() });

  const run = async (op: Op, args: unknown[]): Promise<unknown> => {
    if (op.kind === 'shell') {
      if (op.name === 'restart') return shell.restart();
      await shell.erase();
      post({ t: 'reload' });
      window.location.reload();
      return null;
    }
    const fn = method(ferry, op);
    if (!fn) throw new Error(`not an engine operation: ${op.kind}.${op.name}`);
    return fn(...args);
  };

  channel.onmessage = (e: MessageEvent<TabMessage>) => {
    const m = e.data;
    if (m.t === 'who') hello();
    if (m.t !== 'call') return;
    run(m.op, m.args).then(
      (value) => post({ t: 'reply', id: m.id, ok: true, value: value ?? null }),
      (err: unknown) => post({ t: 'reply', id: m.id, ok: false, error: toWire(err) }),
    );
  };
  const unsubscribe = ferry.subscribe((event) =>
    post({ t: 'event', leader, clientId: ferry.clientId, event }),
  );
  hello();
  return {
    reloadOthers: () => post({ t: 'reload' }),
    stop() {
      unsubscribe();
      channel.close();
    },
  };
}
