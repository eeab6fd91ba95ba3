import type { HlcClock } from '@ferry/protocol';
import type { ServerConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { LoginThrottle } from '../auth/throttle.ts';
import type { PokeHub } from '../events/poke-hub.ts';
import type { TableSql } from '../sync/rows.ts';
import type { Metrics } from './metrics.ts';

/** What the HTTP layer is built from; handed in, never reached for. */
export interface AppDeps {
  readonly config: ServerConfig;
  readonly db: Database;
  readonly tables: ReadonlyMap<string, TableSql>;
  readonly pullSql: string;
  /** The app schema versions served: older and newer clients are answered 426. */
  readonly schema: { readonly min: number; readonly max: number };
  readonly clock: HlcClock;
  readonly hub: PokeHub;
  readonly metrics: Metrics;
  readonly throttle: LoginThrottle;
  readonly now: () => number;
}
