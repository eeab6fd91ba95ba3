/**
 * The engine's HttpFn over the Rust shell's `http_request`: the request leaves from Rust, which
 * adds the token; the webview itself has no network access (see the CSP in tauri.conf.json).
 */
import { ErrorKind, FerryError, type HttpFn, type HttpResponse } from '@ferry/client';
import { invoke as tauriInvoke, ShellError, type Invoke } from './invoke.ts';

/**
 * An HttpFn that performs requests in the Rust shell. A transport failure rejects, like fetch; an
 * answer over the shell's size cap rejects as a `protocol` FerryError.
 * reqwest (its `gzip` feature) decodes gzip responses, and only gzip: no brotli is asked for.
 * Bodies go as they are (the IPC carries text; `gzip` on a request is ignored).
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
 * JSON with the status and headers, a newline, then the body's bytes. The body is decoded once,
 * here, and parsed once, by the engine.
 */
export function decodeResponse(raw: ArrayBuffer | Uint8Array): HttpResponse {
  const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
  const split = bytes.indexOf(10);
  if (split < 0) throw new TypeError('the shell answered http_request without a head line');
  const head = JSON.parse(utf8.decode(bytes.subarray(0, split))) as Omit<HttpResponse, 'body'>;
  return {
    status: head.status,
    headers: head.headers,
    body: utf8.decode(bytes.subarray(split + 1)),
  };
}
