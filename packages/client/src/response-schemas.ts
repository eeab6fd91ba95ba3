import {
  AuthResponse,
  CompactSyncResponse,
  DeviceList,
  MeResponse,
  Revision,
  RevisionList,
  SyncResponse,
} from '@ferry/protocol';

/**
 * Every schema the engine checks a server's answer against (`checks.of(…)` in this package),
 * by name: the checks generated ahead of time (`src/precompiled/`) are made from this list.
 */
export const responseSchemas = {
  SyncResponse,
  CompactSyncResponse,
  RevisionList,
  Revision,
  DeviceList,
  AuthResponse,
  MeResponse,
} as const;
