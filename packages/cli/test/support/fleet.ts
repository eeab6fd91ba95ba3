import {
  FerryError,
  fetchHttp,
  memoryTokenStore,
  openFerry,
  type Ferry,
  type HttpFn,
} from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { WriteModel } from './model.ts';
import { recordingDriver, type CapturedEntry } from './recording-driver.ts';
import { ferrySchema, type ferryTables } from '@ferry/protocol';

/**
 * A fleet of in-process devices (the real engine on in-memory better-sqlite3) signed in to one
 * account, for the fault tests that crash the server side. Each device writes only notes it
 * created, with its own clock, so every write it makes must be applied exactly once: a row's
 * server `version` must equal the number of writes made to it, and no sync result may be
 * `superseded` (a write arriving twice under a new seq), `conflict` or `rejected`.
 */
export interface Device {
  readonly name: string;
  readonly ferry: Ferry<typeof ferryTables>;
  /** Every write this device queued, in order, with the HLC the engine gave it. */
  readonly writes: CapturedEntry[];
  /** The notes this device created (the only ones it writes). */
  readonly own: string[];
}

export interface Fleet {
  readonly devices: readonly Device[];
  /** Per-field LWW model of every write of every device. */
  readonly model: WriteModel;
  readonly userId: string;
  readonly token: string;
  /** Sync results the devices received, by status (applied, duplicate, superseded, …). */
  readonly results: Record<string, number>;
  close(): Promise<void>;
}

const PASSWORD = 'fault suite password';

/** Signs up a fresh account on `serverUrl` and opens `count` devices on it. */
export async function openFleet(serverUrl: string, count: number, email: string): Promise<Fleet> {
  const { userId, token } = await signup(serverUrl, email);
  const model = new WriteModel();
  const results: Record<string, number> = {};
  const http = observingHttp(results);
  const devices: Device[] = [];
  for (let i = 0; i < count; i++) {
    const name = `d${i}`;
    const writes: CapturedEntry[] = [];
    const driver = recordingDriver(await openNodeDriver(':memory:'), (entries) => {
      for (const e of entries) {
        writes.push(e);
        model.record({
          client: name,
          table: e.table,
          id: e.recordId,
          hlc: e.hlc,
          fields: e.fields,
        });
      }
    });
    const ferry = await openFerry({
      ...ferrySchema,
      driver,
      tokenStore: memoryTokenStore(token),
      http,
    });
    await ferry.setServer(serverUrl);
    devices.push({ name, ferry, writes, own: [] });
  }
  return {
    devices,
    model,
    userId,
    token,
    results,
    close: async () => void (await Promise.all(devices.map((d) => d.ferry.close()))),
  };
}

/** The engine's fetch, counting the status of every mutation result in a `/v1/sync` answer. */
function observingHttp(results: Record<string, number>): HttpFn {
  return async (req) => {
    const res = await fetchHttp(req);
    if (res.status === 200 && req.url.endsWith('/v1/sync')) {
      const body = JSON.parse(res.body) as { results?: { status: string }[] };
      for (const r of body.results ?? []) results[r.status] = (results[r.status] ?? 0) + 1;
    }
    return res;
  };
}

/** Signs up with retries: the server may still be coming back from a fault. */
async function signup(
  serverUrl: string,
  email: string,
): Promise<{ userId: string; token: string }> {
  let last = '';
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const res = await fetch(`${serverUrl}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      if (res.status === 201) return (await res.json()) as { userId: string; token: string };
      last = `${res.status} ${await res.text()}`;
      if (res.status < 500) break;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(100);
  }
  throw new Error(`signup failed: ${last}`);
}

/** A short name for an engine failure, for the tallies the fault tests print. */
export function errorName(e: unknown): string {
  if (e instanceof FerryError) return e.code;
  return e instanceof Error ? e.message.slice(0, 40) : String(e);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
