import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Rng } from './prng.ts';

/**
 * A fault-injecting HTTP proxy on loopback: forwards to the real server and, per request, by a
 * seeded choice, fails in the ways a mobile network does. One proxy per simulated device keeps
 * each device's fault sequence deterministic whatever the interleaving of devices.
 */

export const Fault = {
  /** Forward untouched. */
  pass: 'pass',
  /** Destroy the socket before anything reaches the server. */
  dropRequest: 'drop-request',
  /** Forward, let the server commit and answer, then destroy the socket instead of answering. */
  dropResponse: 'drop-response',
  /** Wait, then forward untouched. */
  delay: 'delay',
  /** Forward, then send the status, headers and part of the body and reset the connection. */
  resetMidResponse: 'reset-mid-response',
  /**
   * Deliberately wrong, for the test that proves the checker can fail: strip the last mutation of
   * a sync request, then tell the client it was applied — a server that loses an acknowledged write.
   */
  ackWithoutApply: 'ack-without-apply',
} as const;
export type Fault = (typeof Fault)[keyof typeof Fault];

/** Decides the fault for one request. */
export type FaultPlan = (req: { method: string; path: string }) => {
  fault: Fault;
  delayMs: number;
};

/** Seeded faults: each kind with probability `rate` / 4, delays up to `maxDelayMs`. */
export function seededFaults(rng: Rng, rate: number, maxDelayMs = 30): FaultPlan {
  return () => {
    const r = rng.next();
    const delayMs = rng.int(maxDelayMs + 1);
    const q = rate / 4;
    if (r < q) return { fault: Fault.dropRequest, delayMs };
    if (r < 2 * q) return { fault: Fault.dropResponse, delayMs };
    if (r < 3 * q) return { fault: Fault.delay, delayMs };
    if (r < 4 * q) return { fault: Fault.resetMidResponse, delayMs };
    return { fault: Fault.pass, delayMs: 0 };
  };
}

export const noFaults: FaultPlan = () => ({ fault: Fault.pass, delayMs: 0 });

export interface FaultProxy {
  readonly url: string;
  /** Replaces the fault plan (e.g. `noFaults` once the faults stop). */
  setPlan(plan: FaultPlan): void;
  /** Points the proxy at another server (a restarted one). */
  setTarget(url: string): void;
  /** How many requests met each fault so far. */
  readonly counts: Record<Fault, number>;
  close(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);

/** Starts a proxy to `target` on a random loopback port. */
export async function startFaultProxy(
  target: string,
  plan: FaultPlan = noFaults,
): Promise<FaultProxy> {
  let current = plan;
  let upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const counts = Object.fromEntries(Object.values(Fault).map((f) => [f, 0])) as Record<
    Fault,
    number
  >;

  const forward = (req: http.IncomingMessage, body: Buffer, again = true): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const headers = {
        ...req.headers,
        host: upstream.host,
        'content-length': String(body.length),
      };
      delete headers.connection;
      delete headers['transfer-encoding'];
      const out = http.request(
        {
          agent,
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', (e: NodeJS.ErrnoException) => {
        // The server closed an idle kept-alive connection as this request went out on it (the
        // race Node documents with `reusedSocket`): the server never read it, so send it again.
        if (again && out.reusedSocket && e.code === 'ECONNRESET')
          forward(req, body, false).then(resolve, reject);
        else reject(e);
      });
      out.end(body);
    });

  const streamThrough = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // Server-sent events stay open: pipe them without buffering or faults.
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  };

  const server = http.createServer((req, res) => {
    if ((req.headers.accept ?? '').includes('text/event-stream')) return streamThrough(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks));
    });
  });

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
  ): Promise<void> => {
    const { fault, delayMs } = current({ method: req.method ?? 'GET', path: req.url ?? '/' });
    counts[fault] += 1;
    try {
      if (fault === Fault.dropRequest) {
        req.socket.destroy();
        return;
      }
      if (fault === Fault.delay) await sleep(delayMs);
      const lost = fault === Fault.ackWithoutApply ? stripLastMutation(req, body) : null;
      let up = await forward(req, lost?.body ?? body);
      if (lost) up = pretendApplied(up, lost.seq);
      if (fault === Fault.dropResponse) {
        req.socket.destroy();
        return;
      }
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers))
        if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
      headers['content-length'] = up.body.length;
      res.writeHead(up.status, headers);
      if (fault === Fault.resetMidResponse) {
        res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
        // Give the partial body a moment on the wire so the client sees a truncated response.
        await sleep(1);
        req.socket.resetAndDestroy();
        return;
      }
      res.end(up.body);
    } catch {
      // The server itself is unreachable: behave like a dead gateway (a reset).
      req.socket.destroy();
    }
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    setPlan: (p) => {
      current = p;
    },
    setTarget: (url) => {
      upstream = new URL(url);
    },
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface SyncBody {
  mutations?: { seq: number }[];
}

/** For `ackWithoutApply`: the request without its last mutation, and that mutation's seq. */
function stripLastMutation(
  req: http.IncomingMessage,
  body: Buffer,
): { body: Buffer; seq: number } | null {
  if (req.url !== '/v1/sync') return null;
  const parsed = JSON.parse(body.toString('utf8')) as SyncBody;
  const last = parsed.mutations?.pop();
  if (!last) return null;
  // The response must be readable to be rewritten.
  delete req.headers['accept-encoding'];
  return { body: Buffer.from(JSON.stringify(parsed)), seq: last.seq };
}

function pretendApplied(up: Upstream, seq: number): Upstream {
  if (up.status !== 200) return up;
  const parsed = JSON.parse(up.body.toString('utf8')) as {
    results: unknown[];
    lastMutationSeq: number;
  };
  parsed.results.push({ seq, status: 'applied', version: 1 });
  parsed.lastMutationSeq = Math.max(parsed.lastMutationSeq, seq);
  return { ...up, body: Buffer.from(JSON.stringify(parsed)) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
