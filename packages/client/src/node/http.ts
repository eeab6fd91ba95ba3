import type { IncomingMessage } from 'node:http';
import type { HttpCodings, HttpFn, HttpRequest, HttpResponse } from '../api.ts';

// Every module is loaded when a request needs it, not at start: a command that makes no request
// (`ferry ls`) loads none, and a sync with a loopback server, which asks for identity bodies over
// plain http, needs neither `node:https` (TLS) nor `node:zlib`. `getBuiltinModule` (Node 20.16+)
// rather than `import()`: synchronous, and it works in a script run through `vm.Script` (the
// CLI's bundle, run with V8's code cache), where `import()` needs a loader of its own.
const zlib = () => process.getBuiltinModule('node:zlib');

/** The response's body bytes, decoded by its `content-encoding` (gzip, deflate, br, identity). */
function decode(encoding: string | undefined, body: Buffer): Buffer {
  const coding = (encoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib().gunzipSync(body);
    case 'deflate':
      return zlib().inflateSync(body);
    case 'br':
      return zlib().brotliDecompressSync(body);
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}

/** The whole body of `res`; rejects if the connection ends before it does. */
function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
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

/** One exchange over `node:http` / `node:https`; a request marked `gzip` goes compressed. */
async function exchange(req: HttpRequest, idleMs: number): Promise<HttpResponse> {
  const { res, stalled } = await send(req, idleMs);
  const raw = await readBody(res).catch((e: unknown) => {
    throw stalled() ?? e;
  });
  const headers = flatHeaders(res);
  const body = decode(headers['content-encoding'], raw).toString('utf8');
  return { status: res.statusCode ?? 0, headers, body };
}

/**
 * An HttpFn over Node's own `http` and `https` modules, for Node programs (the CLI): it sends and
 * answers what `fetchHttp` does for Ferry's API (brotli and gzip responses decoded, gzip
 * requests; a request silent for `NODE_HTTP_IDLE_MS` fails, as fetch's head and body timeouts
 * do), and starts sooner. Unlike fetch it follows no redirect (a 3xx is handed back as it is:
 * Ferry's API sends none) and fails on a `content-encoding` it cannot decode. Node's `fetch` loads undici and compiles its WebAssembly HTTP parser on its first call,
 * 60–140 ms of a short command on this machine (docs/benchmarks.md, "An empty `ferry sync`").
 */
export const nodeHttp = createNodeHttp();

/** `nodeHttp` failing after `idleMs` without a byte either way (`NODE_HTTP_IDLE_MS` unless set). */
export function createNodeHttp(
  opts: { idleMs?: number } = {},
): HttpFn & { readonly codings: HttpCodings } {
  const idleMs = opts.idleMs ?? NODE_HTTP_IDLE_MS;
  return Object.assign((req: HttpRequest) => exchange(req, idleMs), {
    codings: { accept: 'br, gzip', gzipRequests: true } as const,
  });
}
