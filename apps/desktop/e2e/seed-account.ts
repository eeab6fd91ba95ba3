/**
 * Makes a large account on a real server the way one would come to exist: another device signs
 * up and pushes its notes through `POST /v1/sync`, 500 mutations a request (the protocol's
 * limit). Used by the end-to-end large-account step and the desktop benchmark.
 */
import {
  HlcClock,
  Limits,
  PROTOCOL_VERSION,
  FERRY_SCHEMA_VERSION,
  hlcNode,
  uuidv7,
  type SyncResponse,
} from '@ferry/protocol';
import { randomUUID } from 'node:crypto';

/** ~200 characters of text, different for every note. */
export function seededContent(i: number): string {
  return `Seeded note ${i}. `.padEnd(200, 'The quick brown fox jumps over the lazy dog. ');
}

/** The title of seeded note `i`. */
export const seededTitle = (i: number): string => `Seeded ${i}`;

async function post(url: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/**
 * Signs `email` up on `server` and pushes `count` notes; note i's `updated_at` is i ms after a
 * start in the past, so the newest notes are the last pushed (and the last pulled). Returns the
 * seconds it took.
 */
export async function seedAccount(
  server: string,
  email: string,
  password: string,
  count: number,
): Promise<number> {
  const started = performance.now();
  const { token } = (await post(`${server}/v1/auth/signup`, { email, password })) as {
    token: string;
  };
  const clientId = randomUUID();
  const clock = new HlcClock(hlcNode(clientId));
  const t0 = Date.now() - 3_600_000 - count;
  let cursor = '0';
  for (let from = 0; from < count; from += Limits.maxMutationsPerRequest) {
    const mutations = [];
    for (let i = from; i < Math.min(count, from + Limits.maxMutationsPerRequest); i++) {
      const at = new Date(t0 + i).toISOString();
      mutations.push({
        seq: i + 1,
        table: 'notes',
        id: uuidv7(t0 + i),
        op: 'upsert',
        fields: {
          title: seededTitle(i),
          content: seededContent(i),
          created_at: at,
          updated_at: at,
        },
        hlc: clock.now(),
        baseVersion: null,
      });
    }
    // pullLimit 1: the answer would otherwise carry the rows just written back.
    const res = (await post(
      `${server}/v1/sync`,
      {
        protocol: PROTOCOL_VERSION,
        clientId,
        schemaVersion: FERRY_SCHEMA_VERSION,
        cursor,
        mutations,
        pullLimit: 1,
      },
      token,
    )) as SyncResponse;
    const bad = res.results.find((r) => r.status !== 'applied');
    if (bad) throw new Error(`seeding: mutation ${bad.seq} was ${bad.status}`);
    cursor = res.cursor;
  }
  return (performance.now() - started) / 1000;
}
