import { expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  HlcClock,
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
  hlcNode,
  uuidv7,
  type Mutation,
  type SyncResponse,
  type TableDecl,
  ferrySchema,
} from '@ferry/protocol';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';
import { createServer, type RunningServer, type StartOptions } from '../src/index.ts';

/** A server on a fresh database; `close` stops it and drops the database. */
export interface TestServer {
  readonly url: string;
  readonly dbUrl: string;
  readonly server: RunningServer;
  close(): Promise<void>;
}

/** Where test servers get their database: a backend factory (real server or embedded). */
export type DatabaseFactory = () => Promise<TestDatabase>;

/** Starts a server on a throwaway database (real PostgreSQL from DATABASE_URL by default). */
export async function startTestServer(
  opts: Partial<StartOptions> = {},
  makeDb: DatabaseFactory = () => createTestDatabase(),
): Promise<TestServer> {
  const db = await makeDb();
  const server = await createServer({
    ...ferrySchema,
    port: 0,
    logLevel: 'silent',
    databaseUrl: db.url,
    ...opts,
  });
  return {
    url: server.url,
    dbUrl: db.url,
    server,
    async close() {
      await server.close();
      await db.drop();
    },
  };
}

/** A response with its parsed JSON body. */
export interface Res<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** Sends a JSON request and parses the reply. */
export async function call<T = unknown>(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  const r = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (metrics, SSE)
  }
  return { status: r.status, body: parsed as T, headers: r.headers };
}

/** A signed-up user with a token. */
export interface TestUser {
  readonly userId: string;
  readonly email: string;
  readonly token: string;
}

let userCounter = 0;
/** Signs up a new user. */
export async function signup(
  url: string,
  email = `u${++userCounter}-${randomUUID().slice(0, 8)}@example.com`,
  password = 'correct horse battery',
): Promise<TestUser> {
  const r = await call<{ userId: string; token: string }>(url, 'POST', '/v1/auth/signup', {
    body: { email, password },
  });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { userId: r.body.userId, email, token: r.body.token };
}

/** A simulated device: its clientId, HLC and outbox seq. */
export class Device {
  readonly clientId = randomUUID();
  readonly clock: HlcClock;
  private seq = 0;
  cursor = '0';

  constructor(
    readonly url: string,
    readonly token: string,
    physicalNow: () => number = Date.now,
  ) {
    this.clock = new HlcClock(hlcNode(this.clientId), physicalNow);
  }

  /** A mutation with the next seq and a fresh stamp. */
  mutation(
    table: string,
    id: string,
    op: 'upsert' | 'delete',
    fields: Record<string, unknown>,
    baseVersion: number | null = null,
    hlc?: string,
  ): Mutation {
    return { seq: ++this.seq, table, id, op, fields, hlc: hlc ?? this.clock.now(), baseVersion };
  }

  /** One `/v1/sync` round trip; advances the cursor on success. */
  async sync(
    mutations: Mutation[] = [],
    extra: Record<string, unknown> = {},
  ): Promise<Res<SyncResponse>> {
    const r = await call<SyncResponse>(this.url, 'POST', '/v1/sync', {
      token: this.token,
      body: {
        protocol: PROTOCOL_VERSION,
        clientId: this.clientId,
        schemaVersion: FERRY_SCHEMA_VERSION,
        cursor: this.cursor,
        mutations,
        ...extra,
      },
    });
    if (r.status === 200) this.cursor = r.body.cursor;
    return r;
  }
}

/** Fields of a new note. */
export function newNote(title = 'title', content = 'content'): Record<string, unknown> {
  const now = new Date().toISOString();
  return { title, content, created_at: now, updated_at: now };
}

/** A new record id. */
export const newId = (): string => uuidv7();

export type { TableDecl };

/** `expect.any(String)`, typed so it can sit inside an expected object. */
export const anyString = expect.any(String) as unknown as string;
