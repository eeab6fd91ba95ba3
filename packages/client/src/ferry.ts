import {
  TEXT_CONFLICTS_TABLE,
  checkTables,
  keepsRevisions,
  tableMap,
  uuidv7,
  withTextConflicts,
  type Revision,
  type RevisionList,
  type TableDecl,
} from '@ferry/protocol';
import type {
  Conflict,
  FerryEvent,
  FerryOptions,
  RejectedChange,
  SyncOutcome,
  SyncStatus,
} from './api.ts';
import type { ApplyProbe } from './apply.ts';
import { authenticate, logout, setServer, whoami, type AuthDeps, type Identity } from './auth.ts';
import { Checks } from './checks.ts';
import { PersistentClock } from './clock.ts';
import { dismissRejected, listConflicts, listRejected, resolveConflict } from './conflicts.ts';
import type { SqlDriver } from './driver.ts';
import { ErrorKind, FerryError, toFerryError } from './errors.ts';
import { Emitter, type FerryListener } from './events.ts';
import { Transport, fetchHttp } from './http.ts';
import { allEntries, outboxCount, type OutboxEntry } from './outbox.ts';
import type { LocalRow } from './rows.ts';
import { LOCAL_ENGINE_TABLES, migrate } from './schema.ts';
import { searchIndexNames } from './search-index.ts';
import { migrateAppTables } from './app-schema.ts';
import { StateKey, allState, getState, setState } from './state.ts';
import { TableStore } from './store.ts';
import type { TablesOf } from './typed-tables.ts';
import { runSync } from './sync.ts';
import { conflictsNeedingNames, fetchDeviceNames } from './device-names.ts';
import { fetchHistory, fetchRevision, restorableFields, type HistoryDeps } from './history.ts';
import {
  listTextConflicts,
  resolveTextConflict,
  type TextConflict,
  type TextResolution,
} from './text-conflicts.ts';

/** Hooks for tests only. */
export interface FerryTestHooks {
  applyProbe?: ApplyProbe;
}

/**
 * Opens the engine on a database with the app's tables: checks the declarations (a mistake
 * throws `TableDeclError` naming the table and the field), migrates the database, makes the
 * clientId once, loads the clock.
 */
export async function openFerry<const T extends readonly TableDecl[]>(
  opts: FerryOptions<T>,
  hooks: FerryTestHooks = {},
): Promise<Ferry<T>> {
  const indexes = opts.tables.flatMap((t) => searchIndexNames(t.name));
  checkTables(opts.tables, {
    schemaVersion: opts.schemaVersion,
    reserved: [...LOCAL_ENGINE_TABLES, ...indexes],
  });
  // Overlaps of text merges arrive as rows of text_conflicts: it is synced whenever text merges.
  const tables = withTextConflicts(opts.tables);
  const now = opts.now ?? Date.now;
  const state = await opts.driver.transaction(async (tx) => {
    await migrate(tx);
    const app = await migrateAppTables(tx, tables, opts.schemaVersion, opts.migrations);
    // New tables or fields: their values on the server were never pulled; pull everything again.
    if (app.repull && (await getState(tx, StateKey.cursor)) !== null)
      await setState(tx, StateKey.cursor, '0');
    if ((await getState(tx, StateKey.clientId)) === null)
      await setState(tx, StateKey.clientId, uuidv7(now()));
    return { state: await allState(tx), pending: await outboxCount(tx) };
  });
  const token = await opts.tokenStore.get();
  return new Ferry<T>(opts, tables, state.state, state.pending, token !== null, hooks);
}

/**
 * The engine: local tables, the outbox, sync, status and events. Make one with `openFerry`;
 * `T` is the app's tables, so `ferry.tables.todos.create({...})` is checked by the compiler.
 */
export class Ferry<T extends readonly TableDecl[] = readonly TableDecl[]> {
  private currentClientId: string;
  /** The app's tables by name, each typed from its declaration. */
  readonly tables: TablesOf<T>;
  private readonly decls: ReadonlyMap<string, TableDecl>;
  private readonly stores = new Map<string, TableStore>();
  private readonly clock: PersistentClock;
  private readonly transport: Transport;
  private readonly checks: Checks;
  private readonly emitter = new Emitter();
  private readonly driver: SqlDriver;
  private readonly now: () => number;
  private current: SyncStatus;
  private running: Promise<SyncOutcome> | null = null;
  private followUp: Promise<SyncOutcome> | null = null;
  private offline = false;
  private closed = false;

  /** @internal use openFerry */
  constructor(
    private readonly opts: FerryOptions<T>,
    tableList: readonly TableDecl[],
    state: Partial<Record<StateKey, string>>,
    pending: number,
    hasToken: boolean,
    private readonly hooks: FerryTestHooks,
  ) {
    this.driver = opts.driver;
    this.now = opts.now ?? Date.now;
    this.decls = tableMap(tableList);
    this.currentClientId = state[StateKey.clientId] ?? '';
    this.clock = new PersistentClock(this.currentClientId, this.now, state[StateKey.hlc] ?? null);
    this.transport = new Transport(opts.http ?? fetchHttp, this.now, opts.compress);
    this.checks = new Checks(opts.validator);
    this.current = {
      state: hasToken ? 'idle' : 'signed-out',
      pending,
      lastSyncAt: state[StateKey.lastSyncAt] ?? null,
      lastError: null,
      server: state[StateKey.serverUrl] ?? null,
      progress: null,
    };
    for (const t of tableList) {
      this.stores.set(
        t.name,
        new TableStore(t, {
          driver: this.driver,
          ...(opts.reader ? { reader: opts.reader } : {}),
          clock: this.clock,
          now: this.now,
          onWrite: (table, ids) => this.afterLocalWrite(table, ids),
        }),
      );
    }
    this.tables = Object.fromEntries(
      opts.tables.map((t) => [t.name, this.stores.get(t.name)]),
    ) as TablesOf<T>;
  }

  /**
   * This database's client id: made once; replaced only when the server finds it in use by a
   * copy of this database (a restored backup, a cloned disk).
   */
  get clientId(): string {
    return this.currentClientId;
  }

  /**
   * Any declared table by a name known only at run time, untyped (rows as `LocalRow`); an app
   * knows its tables and uses `ferry.tables.<name>`, typed from its declaration.
   */
  table(name: string): TableStore {
    const s = this.stores.get(name);
    if (!s) throw new FerryError(ErrorKind.notFound, `no declared table "${name}"`);
    return s;
  }

  /** The current sync status (no I/O). */
  status(): SyncStatus {
    return { ...this.current };
  }

  /** Listens to 'changed' and 'status' events; returns the unsubscribe function. */
  subscribe(listener: FerryListener): () => void {
    return this.emitter.subscribe(listener);
  }

  /** Creates an account and signs this database in to it (`deviceName`: as at login). */
  async signup(
    serverUrl: string,
    email: string,
    password: string,
    deviceName?: string,
  ): Promise<Identity> {
    return this.signedIn(
      await authenticate(this.authDeps(), 'signup', serverUrl, email, password, deviceName),
    );
  }

  /** Signs this database in (one token per device). */
  async login(
    serverUrl: string,
    email: string,
    password: string,
    deviceName?: string,
  ): Promise<Identity> {
    return this.signedIn(
      await authenticate(this.authDeps(), 'login', serverUrl, email, password, deviceName),
    );
  }

  /**
   * Revokes the token when the server is reachable and forgets it; local rows and queued changes
   * stay. `everywhere` signs every device of the account out (the server must be reachable: a
   * failure throws and this device stays signed in).
   */
  async logout(opts: { everywhere?: boolean } = {}): Promise<{ revoked: boolean }> {
    const r = await logout(this.authDeps(), opts.everywhere ?? false);
    this.setStatus({ state: 'signed-out', lastError: null });
    return r;
  }

  /** Who this database is signed in as; `remote` checks with the server. */
  async whoami(opts: { remote?: boolean } = {}): Promise<Identity> {
    return whoami(this.authDeps(), opts.remote ?? false);
  }

  /** Points the database at a server without signing in (for a host that stores the token itself). */
  async setServer(serverUrl: string): Promise<string> {
    const s = await setServer(this.authDeps(), serverUrl);
    this.setStatus({ server: s });
    return s;
  }

  /**
   * Pushes the outbox and pulls to the end. Single-flight: a call while a sync runs waits for it
   * and then runs exactly one more (shared by every caller that arrived meanwhile), so a write
   * made during a sync is always pushed by the sync its caller awaits.
   */
  sync(): Promise<SyncOutcome> {
    if (this.closed)
      return Promise.reject(new FerryError(ErrorKind.closed, 'the engine is closed'));
    if (!this.running) {
      this.running = this.runOnce().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.followUp ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.followUp = null;
        return this.sync();
      });
    return this.followUp;
  }

  /** True while a sync request is under way. */
  isSyncing(): boolean {
    return this.running !== null;
  }

  /** The host says the network is gone (or back); shown in the status. */
  setOffline(offline: boolean): void {
    this.offline = offline;
    if (this.running) return;
    if (offline && this.current.state !== 'signed-out') this.setStatus({ state: 'offline' });
    else if (!offline && this.current.state === 'offline') this.setStatus({ state: 'idle' });
  }

  /** Server URL and token for a side channel such as the poke stream; null when signed out. */
  async connection(): Promise<{ server: string; token: string } | null> {
    if (this.closed) return null;
    const token = await this.opts.tokenStore.get();
    const server = this.current.server;
    return token && server ? { server, token } : null;
  }

  /** Unresolved conflicts (tables under the version policy). */
  conflicts(): Promise<Conflict[]> {
    return listConflicts(this.driver);
  }

  /** Keeps my change (re-queued on top of the server's version) or takes the server's row. */
  async resolveConflict(id: string, choice: 'mine' | 'theirs'): Promise<void> {
    const { table, recordId } = await resolveConflict(
      this.driver,
      this.decls,
      this.clock,
      () => new Date(this.now()).toISOString(),
      id,
      choice,
    );
    if (choice === 'mine') this.afterLocalWrite(table, [recordId]);
    else this.emitter.emit({ type: 'changed', table, ids: [recordId], origin: 'local' });
  }

  /** Unresolved overlaps of text merges (every device sees them), oldest first. */
  textConflicts(recordId?: string): Promise<TextConflict[]> {
    // No table merges text: there are none.
    if (!this.decls.has(TEXT_CONFLICTS_TABLE)) return Promise.resolve([]);
    return listTextConflicts(this.driver, recordId);
  }

  /**
   * Resolves a text conflict: keep the text as it is, take the other version, keep both, or new
   * content. A local edit of the merged row and of the conflict row; both sync.
   */
  async resolveTextConflict(id: string, how: TextResolution): Promise<void> {
    const r = await resolveTextConflict(
      {
        driver: this.driver,
        tables: this.decls,
        clock: this.clock,
        nowIso: () => new Date(this.now()).toISOString(),
      },
      id,
      how,
    );
    if (r.changed) this.afterLocalWrite(r.table, [r.recordId]);
    this.afterLocalWrite(TEXT_CONFLICTS_TABLE, [id]);
  }

  /**
   * The account's device names by clientId (those that gave one at login): from the server, and
   * remembered; the remembered ones when it cannot be reached (or names no devices).
   */
  deviceNames(): Promise<ReadonlyMap<string, string>> {
    return fetchDeviceNames(this.historyDeps());
  }

  /** A page of a row's revisions from the server, newest first (needs the network). */
  history(
    id: string,
    opts: { table?: string; before?: number; limit?: number } = {},
  ): Promise<RevisionList> {
    return fetchHistory(this.historyDeps(), this.decl(opts.table), id, opts);
  }

  /** One revision of a row, from the server. */
  revision(id: string, version: number, table?: string): Promise<Revision> {
    return fetchRevision(this.historyDeps(), this.decl(table), id, version);
  }

  /**
   * Makes a revision's text (and other edited fields) the row's again: a new local edit, which
   * syncs and merges like any other. Fetches the revision from the server.
   */
  async restoreRevision(id: string, version: number, table?: string): Promise<LocalRow> {
    const t = this.decl(table);
    const rev = await fetchRevision(this.historyDeps(), t, id, version);
    return this.table(t.name).update(id, restorableFields(t, rev));
  }

  /** The named table; without a name, the app's one table with revisions (if there is one). */
  private decl(table?: string): TableDecl {
    if (table === undefined) {
      const kept = [...this.decls.values()].filter(keepsRevisions);
      if (kept.length === 1) return kept[0]!;
      throw new FerryError(
        ErrorKind.invalidInput,
        `name the table: ${kept.length === 0 ? 'no table keeps revisions' : `${kept.map((t) => t.name).join(', ')} keep revisions`}`,
      );
    }
    const t = this.decls.get(table);
    if (!t) throw new FerryError(ErrorKind.notFound, `no declared table "${table}"`);
    return t;
  }

  private historyDeps(): HistoryDeps {
    return {
      driver: this.driver,
      transport: this.transport,
      tokenStore: this.opts.tokenStore,
      checks: this.checks,
    };
  }

  /** Changes the server refused, kept for the user to see. */
  rejected(): Promise<RejectedChange[]> {
    return listRejected(this.driver);
  }

  /** Forgets one rejected change. */
  dismissRejected(id: string): Promise<void> {
    return dismissRejected(this.driver, id);
  }

  /** The queued outbox entries, oldest first (for inspection). */
  outbox(): Promise<OutboxEntry[]> {
    return this.driver.transaction((tx) => allEntries(tx));
  }

  /** Waits for a running sync, then closes the database. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.running, this.followUp]);
    await this.driver.close();
  }

  private authDeps(): AuthDeps {
    return {
      driver: this.driver,
      transport: this.transport,
      tokenStore: this.opts.tokenStore,
      allowInsecure: this.opts.allowInsecure ?? false,
      checks: this.checks,
    };
  }

  private signedIn(id: Identity): Identity {
    this.setStatus({
      state: this.offline ? 'offline' : 'idle',
      server: id.server,
      lastError: null,
    });
    return id;
  }

  private afterLocalWrite(table: string, ids: string[]): void {
    this.emitter.emit({ type: 'changed', table, ids, origin: 'local' });
    this.setStatus({ pending: this.current.pending + ids.length });
  }

  private async runOnce(): Promise<SyncOutcome> {
    this.setStatus({ state: 'syncing', progress: null });
    try {
      const outcome = await runSync({
        driver: this.driver,
        tables: this.decls,
        clock: this.clock,
        transport: this.transport,
        tokenStore: this.opts.tokenStore,
        checks: this.checks,
        now: this.now,
        schemaVersion: this.opts.schemaVersion,
        ...(this.opts.pullLimit !== undefined ? { pullLimit: this.opts.pullLimit } : {}),
        ...(this.hooks.applyProbe ? { probe: this.hooks.applyProbe } : {}),
        onClientIdChanged: (id) => {
          this.currentClientId = id;
        },
        onApplied: (s, progress) => {
          this.setStatus({
            ...(progress ? { progress } : {}),
            ...(s.acknowledged > 0
              ? { pending: Math.max(0, this.current.pending - s.acknowledged) }
              : {}),
          });
          for (const [table, ids] of s.changed) {
            if (ids.size > 0)
              this.emitter.emit({ type: 'changed', table, ids: [...ids], origin: 'remote' });
          }
        },
      });
      this.offline = false;
      await this.learnDeviceNames();
      const after = await this.refreshFromDb();
      this.setStatus({ state: 'idle', lastError: null, progress: null, ...after });
      return outcome;
    } catch (e) {
      const err = toFerryError(e);
      const after = await this.refreshFromDb().catch(() => ({}));
      const state = err.signsOut ? 'signed-out' : err.offline ? 'offline' : 'error';
      this.setStatus({
        state,
        lastError: { code: err.code, message: err.message },
        progress: null,
        ...after,
      });
      throw err;
    }
  }

  /**
   * After a sync that brought a conflict naming an unknown device: read the names (best effort),
   * and say those conflicts changed, so that views show the names.
   */
  private async learnDeviceNames(): Promise<void> {
    if (!this.decls.has(TEXT_CONFLICTS_TABLE)) return;
    try {
      const ids = await conflictsNeedingNames(this.driver, this.clientId);
      if (ids.length === 0) return;
      await this.deviceNames();
      this.emitter.emit({ type: 'changed', table: TEXT_CONFLICTS_TABLE, ids, origin: 'remote' });
    } catch {
      // The names only label conflicts; a failure leaves the short labels.
    }
  }

  private async refreshFromDb(): Promise<Pick<SyncStatus, 'pending' | 'lastSyncAt'>> {
    return this.driver.transaction(async (tx) => ({
      pending: await outboxCount(tx),
      lastSyncAt: await getState(tx, StateKey.lastSyncAt),
    }));
  }

  private setStatus(patch: Partial<SyncStatus>): void {
    const next = { ...this.current, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    const ev: FerryEvent = { type: 'status', status: this.status() };
    this.emitter.emit(ev);
  }
}
