/**
 * Wires the seed's sync triggers to the engine's scheduler (`createScheduler` in
 * `@ferry/client`): app start, `online`/`offline`, window focus, the Rust shell's 30 s tick, the
 * server poke (the scheduler's own listener, its stream opened by the shell, which holds the
 * token) and, inside the scheduler, a debounced sync after each local write.
 */
import { createScheduler, type Scheduler, type Syncable, type SyncStatus } from '@ferry/client';
import { createShellEventSource } from './shell/event-source.ts';
import { ShellEvent, onShellEvent } from './shell/events.ts';

export interface SyncControl {
  scheduler: Scheduler;
  /** "Sync now", and after signing in: start over without waiting out a backoff. */
  restart(): void;
}

/** What the triggers drive: a `Ferry` has this shape. */
export type TriggerTarget = Syncable & { status(): Pick<SyncStatus, 'state'> };

/** Starts the scheduler and every trigger feeding it. */
export async function startSyncTriggers(ferry: TriggerTarget, win: Window): Promise<SyncControl> {
  // The page has no token: its poke stream is opened by the shell, which only forwards the bytes.
  const scheduler = createScheduler(ferry, { eventSource: createShellEventSource() });
  const restart = (): void => {
    scheduler.stop();
    scheduler.start();
  };
  win.addEventListener('online', () => scheduler.notifyOnline());
  win.addEventListener('offline', () => scheduler.notifyOffline());
  win.addEventListener('focus', () => scheduler.notifyFocus());
  // The scheduler's own 30 s timer lives in the webview and is throttled while the window is
  // hidden; the shell's tick is not. A tick asks for a sync the way focus does: now, unless a
  // backoff is running.
  await onShellEvent(ShellEvent.tick, () => scheduler.notifyFocus());
  ferry.subscribe((e) => {
    // Signing in (state leaves signed-out) restarts a scheduler a 401 had stopped.
    if (e.type === 'status' && e.status.state !== 'signed-out' && !scheduler.active)
      scheduler.start();
  });
  if (ferry.status().state !== 'signed-out') scheduler.start();
  return { scheduler, restart };
}
