import { invoke as tauriInvoke, type Invoke } from './invoke.ts';

/** Start-up settings the Rust shell decided (`AppConfig` in `commands.rs`). */
export interface ShellConfig {
  serverUrl: string | null;
  dataDir: string;
  dbPath: string;
  tokenStore: string;
  selfTest: boolean;
  /** The machine's name, when the shell could read it. */
  hostName: string | null;
}

/** Reads the shell's start-up settings. */
export function loadShellConfig(invoke: Invoke = tauriInvoke): Promise<ShellConfig> {
  return invoke<ShellConfig>('app_config');
}

/** The name history and conflicts show for this device, e.g. "Ferry desktop on lisbon-laptop". */
export function desktopDeviceName(hostName: string | null): string {
  return hostName ? `Ferry desktop on ${hostName}` : 'Ferry desktop';
}
