import { invoke as tauriInvoke, type Invoke } from './invoke.ts';

/** Start-up settings the Rust shell decided (`AppConfig` in `commands.rs`). */
export interface ShellConfig {
  serverUrl: string | null;
  dataDir: string;
  dbPath: string;
  tokenStore: string;
  selfTest: boolean;
}

/** Reads the shell's start-up settings. */
export function loadShellConfig(invoke: Invoke = tauriInvoke): Promise<ShellConfig> {
  return invoke<ShellConfig>('app_config');
}
