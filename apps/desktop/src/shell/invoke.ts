import { invoke as tauriInvoke } from '@tauri-apps/api/core';

/** The one Tauri call the bridges need; tests hand in the real one under `mockIPC`. */
export type Invoke = <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>;

/** Tauri's `invoke`, typed as the bridges use it. */
export const invoke: Invoke = (cmd, args) => tauriInvoke(cmd, args);
