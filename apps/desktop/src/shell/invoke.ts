import { invoke as tauriInvoke } from '@tauri-apps/api/core';

/**
 * The one Tauri call the bridges need; tests hand in the real one under `mockIPC`. Arguments
 * are JSON, or one raw body (a command taking `tauri::ipc::Request`, e.g. `db_batch`).
 */
export type Invoke = <T>(cmd: string, args?: Record<string, unknown> | Uint8Array) => Promise<T>;

/** What failed in the shell: the `kind` of `ShellError` in `src-tauri/src/error.rs`. */
export type ShellErrorKind =
  'sqlite' | 'invalid' | 'tx_not_open' | 'io' | 'keyring' | 'network' | 'too_large' | 'internal';

/** A command of the Rust shell failed; `kind` says what failed, the message says it to people. */
export class ShellError extends Error {
  override readonly name = 'ShellError';
  constructor(
    readonly kind: ShellErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The rejection of a command as an Error: the shell's commands reject with `{ kind, message }`,
 * Tauri itself with a string (an unknown command, arguments that do not deserialise).
 */
export function toShellError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'object' && e !== null && 'kind' in e && 'message' in e)
    return new ShellError(e.kind as ShellErrorKind, String(e.message));
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}

/** Tauri's `invoke`, typed as the bridges use it; a failed command rejects with an Error. */
export const invoke: Invoke = async <T>(
  cmd: string,
  args?: Record<string, unknown> | Uint8Array,
) => {
  try {
    return await tauriInvoke<T>(cmd, args);
  } catch (e) {
    throw toShellError(e);
  }
};
