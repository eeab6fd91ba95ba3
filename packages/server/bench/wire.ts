/** The requests the benches send the server, made as a client makes them. */
import { randomUUID } from 'node:crypto';
import { FERRY_SCHEMA_VERSION, PROTOCOL_VERSION } from '@ferry/protocol';

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
