import type { HttpCodings, HttpFn, HttpRequest, HttpResponse } from './api.ts';
import { Limits } from '@ferry/protocol';
import { ErrorKind, FerryError, errorFromResponse } from './errors.ts';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/**
 * Checks and normalizes a server URL: https anywhere; plain http only to loopback unless
 * `allowInsecure` (PROTOCOL.md, Transport). Returns the URL without a trailing slash.
 */
export function checkServerUrl(raw: string, allowInsecure = false): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new FerryError(ErrorKind.insecureUrl, `not a URL: ${raw}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new FerryError(ErrorKind.insecureUrl, `unsupported scheme ${u.protocol} in ${raw}`);
  if (u.protocol === 'http:' && !LOOPBACK.test(u.hostname) && !allowInsecure) {
    throw new FerryError(
      ErrorKind.insecureUrl,
      `refusing plain http:// to ${u.hostname}: use https://, or allow insecure connections explicitly`,
    );
  }
  return u.toString().replace(/\/+$/, '');
}

/** A body gzip-compressed with the platform's `CompressionStream` (Node 18+, browsers). */
async function gzipped(body: string): Promise<ArrayBuffer> {
  const stream = new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

/**
 * The body of `res` as text, failing once it passes `max` bytes (as fetch hands them over,
 * decoded): read as a stream with a running count, cancelled at the cap, so a small compressed
 * answer that inflates to gigabytes costs at most `max` bytes.
 */
async function readText(res: Response, max: number, url: string): Promise<string> {
  if (res.body === null) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const text = new TextDecoder();
  let out = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out + text.decode();
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      const host = new URL(url).host;
      throw new FerryError(
        ErrorKind.protocol,
        `the response from ${host} is larger than the limit of ${max} bytes`,
      );
    }
    out += text.decode(value, { stream: true });
  }
}

/** One exchange over fetch; a request marked `gzip` goes compressed. */
async function fetchOnce(req: HttpRequest, maxBodyBytes: number): Promise<HttpResponse> {
  const init: RequestInit = { method: req.method, headers: req.headers };
  if (req.body !== undefined && req.gzip === true && typeof CompressionStream === 'function') {
    init.body = await gzipped(req.body);
    init.headers = { ...req.headers, 'content-encoding': 'gzip' };
  } else if (req.body !== undefined) init.body = req.body;
  if (req.signal) init.signal = req.signal;
  const res = await fetch(req.url, init);
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    headers[k.toLowerCase()] = v;
  });
  return { status: res.status, headers, body: await readText(res, maxBodyBytes, req.url) };
}

/**
 * The most bytes of body `fetchHttp` reads, once decoded: the largest answer a server can send,
 * a pull page at the largest budget a server may be configured with plus its one row over the
 * budget, a row being at most the largest request body a server accepts. 128 MiB.
 */
export const FETCH_HTTP_MAX_BODY_BYTES = Limits.maxPullPageBytes + Limits.maxBodyBytes;

/** `fetchHttp` failing on a body over `maxBodyBytes` once decoded (`FETCH_HTTP_MAX_BODY_BYTES`). */
export function createFetchHttp(
  opts: { maxBodyBytes?: number } = {},
): HttpFn & { readonly codings: HttpCodings } {
  const max = opts.maxBodyBytes ?? FETCH_HTTP_MAX_BODY_BYTES;
  return Object.assign((req: HttpRequest) => fetchOnce(req, max), {
    codings: { accept: 'br, gzip', gzipRequests: true } as const,
  });
}

/**
 * The default HttpFn: the platform's fetch (Node 20, browsers). Fetch decodes brotli and gzip
 * responses itself, whoever set `accept-encoding`; a body over `FETCH_HTTP_MAX_BODY_BYTES` once
 * decoded fails. Fetch follows redirects (dropping `authorization` when one goes to another
 * origin, as the Fetch standard says); Ferry's API sends none.
 */
export const fetchHttp: HttpFn & { readonly codings: HttpCodings } = createFetchHttp();

/** Request bodies smaller than this go uncompressed (an idle sync's body is ~200 bytes). */
export const MIN_GZIP_BODY = 1024;

/** JSON calls to the Ferry API over an HttpFn, with every failure turned into a FerryError. */
export class Transport {
  constructor(
    private readonly http: HttpFn,
    private readonly now: () => number,
    /** See `FerryOptions.compress`; undefined: on except to loopback. */
    private readonly compress?: boolean,
  ) {}

  /** Calls `method path` on `base`; returns the parsed JSON body (null for 204). */
  async call<T>(
    base: string,
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: unknown; token?: string | null; signal?: AbortSignal } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // Compression buys nothing over loopback and costs CPU on both ends of a bulk pull.
    const compress = this.compress ?? !isLoopback(base);
    const codings = this.http.codings;
    if (!compress) headers['accept-encoding'] = 'identity';
    else if (codings !== undefined) headers['accept-encoding'] = codings.accept;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const req: HttpRequest = { method, url: `${base}${path}`, headers };
    if (opts.body !== undefined) req.body = JSON.stringify(opts.body);
    if (compress && codings?.gzipRequests === true && (req.body?.length ?? 0) >= MIN_GZIP_BODY)
      req.gzip = true;
    if (opts.signal) req.signal = opts.signal;
    let res: HttpResponse;
    try {
      res = await this.http(req);
    } catch (e) {
      // The HttpFn classified it already (nodeHttp: an answer over its size cap).
      if (e instanceof FerryError) throw e;
      throw new FerryError(
        ErrorKind.network,
        `cannot reach ${base}: ${e instanceof Error ? (causeMessage(e) ?? e.message) : String(e)}`,
        { cause: e },
      );
    }
    if (res.status < 200 || res.status >= 300)
      throw errorFromResponse(res.status, res.body, lower(res.headers), this.now());
    if (res.status === 204 || res.body === '') return null as T;
    try {
      return JSON.parse(res.body) as T;
    } catch (e) {
      throw new FerryError(
        ErrorKind.protocol,
        `the server at ${base} answered with something that is not JSON`,
        { status: res.status, cause: e },
      );
    }
  }
}

function isLoopback(base: string): boolean {
  try {
    return LOOPBACK.test(new URL(base).hostname);
  } catch {
    return false;
  }
}

function lower(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

function causeMessage(e: Error): string | undefined {
  const c = (e as { cause?: unknown }).cause;
  return c instanceof Error ? `${e.message} (${c.message})` : undefined;
}
