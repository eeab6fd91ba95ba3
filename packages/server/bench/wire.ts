/** The requests the benches send the server, made as a client makes them. */
import { randomUUID } from 'node:crypto';
import {
  FERRY_SCHEMA_VERSION,
  HlcClock,
  PROTOCOL_VERSION,
  hlcNode,
  uuidv7,
  type Mutation,
} from '@ferry/protocol';
import { benchNote } from './notes.ts';

/** A `/v1/sync` body of Ferry's notes schema; `pullLimit` when given. */
export function syncBody(
  clientId: string,
  cursor: string,
  mutations: unknown[],
  pullLimit?: number,
): string {
  return JSON.stringify({
    protocol: PROTOCOL_VERSION,
    clientId,
    schemaVersion: FERRY_SCHEMA_VERSION,
    cursor,
    mutations,
    ...(pullLimit !== undefined ? { pullLimit } : {}),
  });
}

/** Signs a new user up; returns its token. */
export async function signup(url: string): Promise<string> {
  const r = await fetch(`${url}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-${randomUUID()}@example.com`,
      password: 'bench password',
    }),
  });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}

/**
 * Pushes `count` new notes (benchNote's ~220 bytes each, from `rnd`) as one device, 500 a
 * request, pulling nothing back: how the benches fill an account.
 */
export async function seedNotes(
  url: string,
  token: string,
  count: number,
  rnd: () => number,
): Promise<void> {
  const clientId = uuidv7();
  const clock = new HlcClock(hlcNode(clientId));
  let seq = 0;
  for (let done = 0; done < count;) {
    const mutations: Mutation[] = [];
    for (; mutations.length < 500 && done < count; done++)
      mutations.push({
        seq: ++seq,
        table: 'notes',
        id: uuidv7(),
        op: 'upsert',
        fields: benchNote(rnd),
        hlc: clock.now(),
        baseVersion: null,
      });
    const r = await fetch(`${url}/v1/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: syncBody(clientId, '999999999999', mutations, 1),
    });
    if (r.status !== 200) throw new Error(`seed: ${r.status} ${await r.text()}`);
  }
}
