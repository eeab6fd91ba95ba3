/**
 * The engine's HttpFn over the Rust shell's `http_request`: the request leaves from Rust, which
 * adds the token; the webview itself has no network access (see the CSP in tauri.conf.json).
 */
import {
  ErrorKind,
  FETCH_HTTP_MAX_BODY_BYTES,
  FerryError,
  type HttpFn,
  type HttpResponse,
} from '@ferry/client';
import { invoke as tauriInvoke, ShellError, type Invoke } from './invoke.ts';

/**
 * An HttpFn that performs requests in the Rust shell. A transport failure rejects, like fetch; an
 * answer over the size cap (the shell's, or the page's once inflated) rejects as a `protocol`
 * FerryError. Responses may come gzip-compressed, and only gzip is asked for: the shell hands a
 * gzip answer over as it came and `decodeResponse` inflates it here, since every byte through
 * the webview's IPC costs both processes far more CPU than inflating it. Bodies go as they are
 * (the IPC carries text; `gzip` on a request is ignored).
 */
export function createShellHttp(invoke: Invoke = tauriInvoke): HttpFn {
  const http = async (req: Parameters<HttpFn>[0]): Promise<HttpResponse> => {
    req.signal?.throwIfAborted();
    const request = {
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: req.body ?? null,
    };
    let raw: ArrayBuffer | Uint8Array;
    try {
      raw = await invoke<ArrayBuffer | Uint8Array>('http_request', { request });
    } catch (e) {
      // An answer over the shell's cap (http.rs, MAX_BODY_BYTES) is the server's fault, not
      // the network's: as the engine's own clients say it.
      if (e instanceof ShellError && e.kind === 'too_large')
        throw new FerryError(ErrorKind.protocol, e.message);
      // Like fetch, whose failures are TypeErrors: the engine reads any of them as "offline".
      throw new TypeError(e instanceof Error ? e.message : String(e));
    }
    return decodeResponse(raw);
  };
  return Object.assign(http, { codings: { accept: 'gzip', gzipRequests: false } });
}

const utf8 = new TextDecoder();

/**
 * The shell's raw response (`HttpResponse::into_ipc` in `src-tauri/src/http.rs`): one line of
 * JSON with the status and headers, a newline, then the body's bytes as the server sent them.
 * A gzip body is inflated (and its `content-encoding` and `content-length` dropped, as they
 * describe the bytes that came, not the text returned); the text is decoded once, here, and
 * parsed once, by the engine.
 */
export async function decodeResponse(
  raw: ArrayBuffer | Uint8Array,
  maxBody = FETCH_HTTP_MAX_BODY_BYTES,
): Promise<HttpResponse> {
  const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
  const split = bytes.indexOf(10);
  if (split < 0) throw new TypeError('the shell answered http_request without a head line');
  const head = JSON.parse(utf8.decode(bytes.subarray(0, split))) as Omit<HttpResponse, 'body'>;
  let body = bytes.subarray(split + 1);
  let headers = head.headers;
  if (headers['content-encoding']?.trim().toLowerCase() === 'gzip') {
    body = await gunzip(body, maxBody);
    headers = { ...headers };
    delete headers['content-encoding'];
    delete headers['content-length'];
  }
  return { status: head.status, headers, body: utf8.decode(body) };
}

/**
 * Inflates a gzip body with the webview's own zlib (`DecompressionStream`), failing once it
 * passes `max` bytes: a small answer that inflates to gigabytes stops there.
 */
async function gunzip(bytes: Uint8Array, max: number): Promise<Uint8Array> {
  const reader = new ReadableStream<BufferSource>({
    start(c) {
      // An IPC answer is never in shared memory.
      c.enqueue(bytes as Uint8Array<ArrayBuffer>);
      c.close();
    },
  })
    .pipeThrough(new DecompressionStream('gzip'))
    .getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    chunks.push(r.value);
    length += r.value.length;
    if (length > max) {
      await reader.cancel();
      throw new FerryError(
        ErrorKind.protocol,
        `the response is larger than the limit of ${max} bytes once decompressed`,
      );
    }
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
