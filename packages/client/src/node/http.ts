import type { IncomingMessage } from 'node:http';
import { Limits } from '@ferry/protocol';
import type { HttpCodings, HttpFn, HttpRequest, HttpResponse } from '../api.ts';
import { ErrorKind, FerryError } from '../errors.ts';

// Every module is loaded when a request needs it, not at start: a command that makes no request
// (`ferry ls`) loads none, and a sync with a loopback server, which asks for identity bodies over
// plain http, needs neither `node:https` (TLS) nor `node:zlib`. `getBuiltinModule` (Node 20.16+)
// rather than `import()`: synchronous, and it works in a script run through `vm.Script` (the
// CLI's bundle, run with V8's code cache), where `import()` needs a loader of its own.
const zlib = () => process.getBuiltinModule('node:zlib');

/**
 * The most bytes of body `nodeHttp` reads, as received and once decoded: the largest answer a
 * server can send, a pull page at the largest budget a server may be configured with plus its
 * one row over the budget, a row being at most the largest request body a server accepts
 * (docs/protocol.md, "One round trip"). 128 MiB.
 */
export const NODE_HTTP_MAX_BODY_BYTES = Limits.maxPullPageBytes + Limits.maxBodyBytes;

/** The failure of an answer over `max` bytes (`decoded`: once decompressed). */
function tooLarge(host: string, max: number, decoded: boolean): FerryError {
  const after = decoded ? ' once decompressed' : '';
  return new FerryError(
    ErrorKind.protocol,
    `the response from ${host} is larger than the limit of ${max} bytes${after}`,
  );
}

/**
 * The response's body bytes, decoded by its `content-encoding` (gzip, deflate, br, identity).
 * Decoding stops once it has made more than `max` bytes (zlib's `maxOutputLength`), so a small
 * bomb costs at most `max` bytes of memory and their CPU.
 */
function decode(encoding: string | undefined, body: Buffer, max: number, host: string): Buffer {
  const coding = (encoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  const opts = { maxOutputLength: max };
  try {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        return zlib().gunzipSync(body, opts);
      case 'deflate':
        return zlib().inflateSync(body, opts);
      case 'br':
        return zlib().brotliDecompressSync(body, opts);
    }
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(host, max, true);
    throw e;
  }
  throw new Error(`unsupported content-encoding ${encoding}`);
}

/**
 * The whole body of `res`; rejects if the connection ends before it does, or once the body
 * passes `max` bytes (declared or received), destroying the response and with it its socket:
 * nothing more is read, and the connection goes back to no pool.
 */
function readBody(res: IncomingMessage, max: number, host: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const refuse = (): void => {
      reject(tooLarge(host, max, false));
      res.destroy();
    };
    if (Number(res.headers['content-length'] ?? 0) > max) return refuse();
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) refuse();
      else chunks.push(c);
    });
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks)));
    // Cut mid-body: 'close' without 'end' (a no-op once settled).
    res.on('close', () => {
      if (!res.complete) reject(new Error('the connection closed before the response ended'));
    });
  });
}

/** The response headers, lower-cased (Node already lower-cases them), repeated ones joined. */
function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * How long a request may go without a byte either way (waiting for the head, or between two
 * chunks of the body) before it fails: what `fetch` (undici) allows for its head and for its
 * body, so a server that accepts and then stays silent never holds a command for good.
 */
export const NODE_HTTP_IDLE_MS = 300_000;

/**
 * Sends one request and resolves with the response head, its body not yet read; `stalled` is
 * the error the exchange ended with if it went silent for `idleMs`.
 */
function send(
  req: HttpRequest,
  idleMs: number,
): Promise<{ res: IncomingMessage; stalled: () => Error | undefined }> {
  const url = new URL(req.url);
  const headers: Record<string, string | number> = { ...req.headers };
  let body: Buffer | undefined;
  if (req.body !== undefined) {
    if (req.gzip === true) {
      body = zlib().gzipSync(req.body);
      headers['content-encoding'] = 'gzip';
    } else body = Buffer.from(req.body, 'utf8');
    headers['content-length'] = body.length;
  }
  const { request } = process.getBuiltinModule(
    url.protocol === 'https:' ? 'node:https' : 'node:http',
  );
  let stalled: Error | undefined;
  return new Promise((resolve, reject) => {
    const r = request(url, { method: req.method, headers, signal: req.signal }, (res) =>
      resolve({ res, stalled: () => stalled }),
    );
    r.on('error', reject);
    // Inactivity of the socket, for the whole exchange: a destroyed request fails its head's
    // promise here, or its body's in `readBody` (the response closes incomplete).
    r.setTimeout(idleMs, () => {
      stalled = new Error(`no answer from ${url.host} for ${idleMs / 1000} s`);
      r.destroy(stalled);
    });
    r.end(body);
  });
}

/**
 * Where a redirect's `location` points, resolved against the request's URL, without its
 * credentials, query or fragment (any of which may hold a token): scheme, host and path.
 */
function redirectTarget(location: string | undefined, requestUrl: string): string {
  if (location === undefined) return 'nowhere (no Location)';
  try {
    const u = new URL(location, requestUrl);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'an unreadable Location';
  }
}

/**
 * The failure of a 3xx answer, never followed: the request carries the bearer token, which a
 * redirect to another host would hand over. The server URL is most likely wrong.
 */
function redirected(res: IncomingMessage, requestUrl: string): FerryError {
  const status = res.statusCode ?? 0;
  return new FerryError(
    ErrorKind.protocol,
    `the server answered ${status}, a redirect to ${redirectTarget(res.headers.location, requestUrl)}, ` +
      "which is not followed (Ferry's API sends none): check the server URL",
    { status },
  );
}

/** What a `nodeHttp` may be told (see `createNodeHttp`). */
export interface NodeHttpOptions {
  /** Fail after this long without a byte either way; `NODE_HTTP_IDLE_MS` unless set. */
  readonly idleMs?: number;
  /** Fail on a body larger than this, as received or decoded; `NODE_HTTP_MAX_BODY_BYTES`. */
  readonly maxBodyBytes?: number;
}

/** One exchange over `node:http` / `node:https`; a request marked `gzip` goes compressed. */
async function exchange(req: HttpRequest, opts: Required<NodeHttpOptions>): Promise<HttpResponse> {
  const { res, stalled } = await send(req, opts.idleMs);
  if ((res.statusCode ?? 0) >= 300 && (res.statusCode ?? 0) < 400) {
    res.destroy();
    throw redirected(res, req.url);
  }
  const host = new URL(req.url).host;
  const raw = await readBody(res, opts.maxBodyBytes, host).catch((e: unknown) => {
    throw stalled() ?? e;
  });
  const headers = flatHeaders(res);
  const body = decode(headers['content-encoding'], raw, opts.maxBodyBytes, host).toString('utf8');
  return { status: res.statusCode ?? 0, headers, body };
}

/**
 * An HttpFn over Node's own `http` and `https` modules, for Node programs (the CLI): it sends and
 * answers what `fetchHttp` does for Ferry's API (brotli and gzip responses decoded, gzip
 * requests; a request silent for `NODE_HTTP_IDLE_MS` fails, as fetch's head and body timeouts
 * do), and starts sooner. Unlike fetch it follows no redirect (a 3xx fails as a `protocol`
 * error naming the status and where it pointed, without its query: Ferry's API sends none), fails on a `content-encoding` it cannot decode, and fails on a body
 * over `NODE_HTTP_MAX_BODY_BYTES`, as received or once decoded. Node's `fetch` loads undici and
 * compiles its WebAssembly HTTP parser on its first call, 60–140 ms of a short command on this
 * machine (docs/benchmarks.md, "An empty `ferry sync`").
 */
export const nodeHttp = createNodeHttp();

/** `nodeHttp` with its idle timeout and body cap set (the defaults where not). */
export function createNodeHttp(
  opts: NodeHttpOptions = {},
): HttpFn & { readonly codings: HttpCodings } {
  const set = {
    idleMs: opts.idleMs ?? NODE_HTTP_IDLE_MS,
    maxBodyBytes: opts.maxBodyBytes ?? NODE_HTTP_MAX_BODY_BYTES,
  };
  return Object.assign((req: HttpRequest) => exchange(req, set), {
    codings: { accept: 'br, gzip', gzipRequests: true } as const,
  });
}
