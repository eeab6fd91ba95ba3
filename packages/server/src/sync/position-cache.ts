import type { Queryable } from '../db/database.ts';
import type { PokeHub } from '../events/poke-hub.ts';
import { NotifiedMap } from '../events/notified-map.ts';
import { claimClient } from './claim.ts';

/** What a pull-only request needs to know about its user and client. */
export interface ClientState {
  /** The user's position. */
  readonly position: string;
  /** The latest stamp of the user's own mutations (see `userServerHlc`). */
  readonly userHlc: string;
  /** The client's last mutation seq. */
  readonly lastSeq: number;
}

/** A user's state as this process last read it, with the seqs of the clients it has seen. */
interface UserEntry {
  readonly position: string;
  readonly userHlc: string;
  readonly lastSeqs: Map<string, number>;
  /** The device name each client was last claimed with (null: none given, or not known). */
  readonly names: Map<string, string | null>;
}

/**
 * Users' positions and HLCs and their clients' seqs, kept in memory so an up-to-date device's
 * poll needs no query. Every push that changes one of them notifies (`userId:position`, or
 * `user:userId` when the position did not move, see push.ts), which drops the user's entry in
 * every process; a lost LISTEN connection drops them all (see notified-map.ts). A client's
 * binding to its user never changes, so a client in a user's entry is that user's.
 */
export class PositionCache {
  private readonly map: NotifiedMap<string, UserEntry>;
  /** Polls answered from memory, and read from the database, so far (for metrics). */
  hits = 0;
  misses = 0;

  constructor(
    private readonly db: Queryable,
    private readonly hub: PokeHub,
    /** False reads the database on every request (`FERRY_IDLE_CACHE=0`). */
    private readonly enabled: boolean,
    maxUsers = 100_000,
  ) {
    this.map = new NotifiedMap(maxUsers);
    hub.observe({
      userChanged: (userId) => this.map.drop(userId),
      tokenChanged: () => undefined,
      reset: (live) => this.map.reset(live),
    });
  }

  /**
   * The state of `clientId` (bound to `userId` on first use; another user's is 403), named
   * `deviceName` (see `claimClient`): a name this process has not claimed it with is a miss.
   * At once from memory (no promise to wait for), else a promise of the database's answer.
   */
  client(
    userId: string,
    clientId: string,
    deviceName: string | null = null,
  ): ClientState | Promise<ClientState> {
    if (this.enabled && this.hub.trusted()) {
      const e = this.map.get(userId);
      const lastSeq = e?.lastSeqs.get(clientId);
      const named = deviceName === null || e?.names.get(clientId) === deviceName;
      if (e !== undefined && lastSeq !== undefined && named) {
        this.hits++;
        return { position: e.position, userHlc: e.userHlc, lastSeq };
      }
    }
    this.misses++;
    return this.read(userId, clientId, deviceName);
  }

  private async read(
    userId: string,
    clientId: string,
    deviceName: string | null,
  ): Promise<ClientState> {
    const begun = this.map.begin();
    const c = await claimClient(this.db, userId, clientId, deviceName);
    const state = { position: c.position, userHlc: c.userHlc, lastSeq: c.lastSeq };
    if (this.enabled)
      this.map.fill(userId, begun, (cur) => merged(cur, clientId, state, deviceName));
    return state;
  }

  /** This process just committed a push of the user's: forget them before the NOTIFY comes back. */
  changed(userId: string): void {
    this.map.drop(userId);
  }

  /** Users kept, for metrics. */
  get size(): number {
    return this.map.size;
  }
}

/**
 * The entry after reading one client: added to the user's entry when the user's state is the
 * same (both reads are current: no notification came between them), else a fresh entry.
 */
function merged(
  cur: UserEntry | undefined,
  clientId: string,
  s: ClientState,
  deviceName: string | null,
): UserEntry {
  if (cur !== undefined && cur.position === s.position && cur.userHlc === s.userHlc) {
    cur.lastSeqs.set(clientId, s.lastSeq);
    cur.names.set(clientId, deviceName);
    return cur;
  }
  return {
    position: s.position,
    userHlc: s.userHlc,
    lastSeqs: new Map([[clientId, s.lastSeq]]),
    names: new Map([[clientId, deviceName]]),
  };
}
