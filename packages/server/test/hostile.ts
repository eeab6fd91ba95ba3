/**
 * Hostile clients for `hostile-requests.test.ts` (and the server benchmark): each sends one kind
 * of abusive request over a raw socket or fetch and reports what came back.
 */
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { PROTOCOL_VERSION, FERRY_SCHEMA_VERSION } from '@ferry/protocol';
import { Device, call, newId, newNote } from './helpers.ts';

/** An 8 MB body of nested arrays (`[[[…]]]`) or objects (`{"a":{"a":…}}`), under the 8 MiB limit. */
export function nestedBody(kind: 'array' | 'object', bytes = 8_000_000): string {
  if (kind === 'array') {
    const n = Math.floor(bytes / 2);
    return '['.repeat(n) + ']'.repeat(n);
  }
  const n = Math.floor((bytes - 1) / 6);
  return '{"a":'.repeat(n) + '1' + '}'.repeat(n);
}

/** POSTs `body` with fetch; the status, or the error code when the request failed. */
export async function post(
  url: string,
  path: string,
  body: string | Buffer,
  token?: string,
): Promise<number | string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  try {
    const r = await fetch(url + path, { method: 'POST', headers, body });
    await r.arrayBuffer();
    return r.status;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(err);
  }
}

/**
 * POSTs `body` over a raw socket (costs the sender next to no CPU, so the measuring client in the
 * same process is not slowed by the attack itself); the status, or the error code.
 */
export function postRaw(
  url: string,
  path: string,
  data: string | Buffer,
  token?: string,
): Promise<number | string> {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const { hostname, port } = new URL(url);
  const auth = token !== undefined ? `authorization: Bearer ${token}\r\n` : '';
  const head =
    `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\n${auth}` +
    `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (b: Buffer) => {
      if (received.length < 200) received += b.toString('latin1');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve(m ? Number(m[1]) : `no answer: ${JSON.stringify(received.slice(0, 40))}`);
    });
    socket.write(head);
    socket.end(body);
  });
}

/** POSTs `body` with node:http (writes the whole body, as most clients do); status or error code. */
export function postNodeHttp(
  url: string,
  path: string,
  body: Buffer,
  token: string,
): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      url + path,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
    req.end(body);
  });
}

/** A connection that sends its request a byte at a time; `closedAt` is when the server hung up. */
export interface Drip {
  readonly socket: Socket;
  closedAt: number | undefined;
  /** What the server answered before closing, if anything. */
  received: string;
}

/**
 * Opens `count` connections that send a request's headers (or, with `slowHeaders`, only part of
 * them) and then one byte every `everyMs`, for at most `maxMs`.
 */
export function drip(
  url: string,
  opts: {
    count: number;
    everyMs: number;
    maxMs: number;
    token?: string;
    path?: string;
    slowHeaders?: boolean;
  },
): { drips: Drip[]; stop: () => void } {
  const { hostname, port } = new URL(url);
  const path = opts.path ?? '/v1/sync';
  const auth = opts.token !== undefined ? `Authorization: Bearer ${opts.token}\r\n` : '';
  const head =
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${auth}` +
    'Content-Type: application/json\r\nContent-Length: 100000\r\n';
  const drips: Drip[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < opts.count; i++) {
    const socket = connect(Number(port), hostname);
    const d: Drip = { socket, closedAt: undefined, received: '' };
    drips.push(d);
    socket.on('data', (b: Buffer) => {
      if (d.received.length < 1000) d.received += b.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      d.closedAt ??= Date.now();
      clearInterval(t);
    });
    socket.write(opts.slowHeaders === true ? head : `${head}\r\n{`);
    const t = setInterval(() => {
      if (!socket.destroyed) socket.write(opts.slowHeaders === true ? 'X' : ' ');
    }, opts.everyMs);
    timers.push(t);
  }
  const stopAll = (): void => {
    for (const t of timers) clearInterval(t);
    for (const d of drips) d.socket.destroy();
  };
  const guard = setTimeout(stopAll, opts.maxMs);
  return {
    drips,
    stop: () => {
      clearTimeout(guard);
      stopAll();
    },
  };
}

/** Latencies, in ms, of what an ordinary client saw while an attack ran. */
export interface Observed {
  readonly syncs: number[];
  readonly healthz: number[];
  readonly failures: string[];
}

/** The q-quantile (0..1) of `xs`, nearest rank; Infinity for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Infinity;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * Runs an ordinary device (push one note, pull) and a `/healthz` prober in loops while `attack`
 * runs; each loop's in-flight call is counted when the attack ends (a call stuck behind a
 * blocked event loop shows as one long sample).
 */
export async function whileAttacked(
  url: string,
  token: string,
  attack: () => Promise<void>,
): Promise<Observed> {
  const syncs: number[] = [];
  const healthz: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = async (out: number[], once: () => Promise<void>): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      await once().catch((err: unknown) => failures.push(String(err)));
      out.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const d = new Device(url, token);
  const loops = [
    loop(syncs, async () => {
      const r = await d.sync([d.mutation('notes', newId(), 'upsert', newNote())]);
      if (r.status !== 200) failures.push(`sync ${r.status}`);
    }),
    loop(healthz, async () => {
      const r = await call(url, 'GET', '/healthz');
      if (r.status !== 200) failures.push(`healthz ${r.status}`);
    }),
  ];
  try {
    await attack();
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return { syncs, healthz, failures };
}

/** A valid `/v1/sync` body padded to `bytes` with whitespace inside a note's content. */
export function paddedSyncBody(clientId: string, bytes: number): Buffer {
  const base = JSON.stringify({
    protocol: PROTOCOL_VERSION,
    clientId,
    schemaVersion: FERRY_SCHEMA_VERSION,
    cursor: '0',
    mutations: [],
  });
  return Buffer.from(base.slice(0, -1) + ' '.repeat(Math.max(0, bytes - base.length)) + '}');
}
