import { listen } from '@tauri-apps/api/event';

/** Window events the Rust shell emits. */
export const ShellEvent = {
  /** Every 30 s, from a Rust timer (webview timers are throttled while hidden). */
  tick: 'ferry://tick',
} as const;
export type ShellEvent = (typeof ShellEvent)[keyof typeof ShellEvent];

/** Calls `fn` on each shell event of that name; resolves to the unlisten function. */
export function onShellEvent(name: ShellEvent, fn: () => void): Promise<() => void> {
  return listen(name, () => fn());
}
