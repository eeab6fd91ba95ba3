/**
 * The sync status, the signed-in identity and the lists of conflicts and rejected changes, kept
 * as signals that follow the engine's events.
 */
import type { Conflict, Ferry, Identity, RejectedChange, SyncStatus } from '@ferry/client';
import { createSignal, type Accessor } from 'solid-js';

export interface Session {
  status: Accessor<SyncStatus>;
  identity: Accessor<Identity | null>;
  conflicts: Accessor<Conflict[]>;
  rejected: Accessor<RejectedChange[]>;
  refreshIdentity(): Promise<void>;
  refreshProblems(): Promise<void>;
  dispose(): void;
}

type SessionEngine = Pick<Ferry, 'status' | 'subscribe' | 'whoami' | 'conflicts' | 'rejected'>;

/** Signals over the engine's status, identity and problem lists. */
export function createSession(ferry: SessionEngine, onError: (e: unknown) => void): Session {
  const [status, setStatus] = createSignal<SyncStatus>(ferry.status());
  const [identity, setIdentity] = createSignal<Identity | null>(null);
  const [conflicts, setConflicts] = createSignal<Conflict[]>([]);
  const [rejected, setRejected] = createSignal<RejectedChange[]>([]);

  const refreshProblems = async (): Promise<void> => {
    const [c, r] = await Promise.all([ferry.conflicts(), ferry.rejected()]);
    setConflicts(c);
    setRejected(r);
  };
  const refreshIdentity = async (): Promise<void> => {
    setIdentity(await ferry.whoami());
  };

  const unsubscribe = ferry.subscribe((e) => {
    if (e.type !== 'status') return;
    const before = status();
    setStatus(e.status);
    // A sync just ended: it may have recorded conflicts or rejections, or signed us out.
    if (before.state === 'syncing' && e.status.state !== 'syncing')
      refreshProblems().catch(onError);
    if (before.state !== e.status.state || before.server !== e.status.server)
      refreshIdentity().catch(onError);
  });
  Promise.all([refreshIdentity(), refreshProblems()]).catch(onError);

  return {
    status,
    identity,
    conflicts,
    rejected,
    refreshIdentity,
    refreshProblems,
    dispose: unsubscribe,
  };
}
