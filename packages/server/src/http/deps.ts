import type { HlcClock } from '@ferry/protocol';
import type { ServerConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { LoginThrottle } from '../auth/throttle.ts';
import type { TokenCache } from '../auth/token-cache.ts';
import type { PokeHub } from '../events/poke-hub.ts';
import type { PositionCache } from '../sync/position-cache.ts';
import type { TableSql } from '../sync/rows.ts';
import type { ServedView } from '../sync/served.ts';
import type { Metrics } from './metrics.ts';

/** What the HTTP layer is built from; handed in, never reached for. */
export interface AppDeps {
  readonly config: ServerConfig;
  readonly db: Database;
  readonly tables: ReadonlyMap<string, TableSql>;
  /** The app schema versions served: older and newer clients are answered 426. */
  readonly schema: { readonly min: number; readonly max: number };
  /** What a client of each served schema version sees (its tables and fields). */
  readonly views: ReadonlyMap<number, ServedView>;
  readonly clock: HlcClock;
  readonly hub: PokeHub;
  /** Bearer tokens to users, from memory while the hub is trusted. */
  readonly tokens: TokenCache;
  /** Users' positions and clients' seqs, from memory while the hub is trusted. */
  readonly positions: PositionCache;
  readonly metrics: Metrics;
  readonly throttle: LoginThrottle;
  readonly now: () => number;
  /** Where log lines go; stdout unless set (tests read them). */
  readonly logStream?: { write(line: string): void };
}
