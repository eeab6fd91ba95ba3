/**
 * The engine's HttpFn over the Rust shell's `http_request`: the request leaves from Rust, which
 * adds the token; the webview itself has no network access (see the CSP in tauri.conf.json).
 */
import type { HttpFn, HttpResponse } from '@ferry/client';
import { invoke as tauriInvoke, type Invoke } from './invoke.ts';

/**
 * An HttpFn that performs requests in the Rust shell. A transport failure rejects, like fetch.
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
    try {
      return await invoke<HttpResponse>('http_request', { request });
    } catch (e) {
      // Like fetch, whose failures are TypeErrors: the engine reads any of them as "offline".
      throw new TypeError(e instanceof Error ? e.message : String(e));
    }
  };
  return Object.assign(http, { codings: { accept: 'gzip', gzipRequests: false } });
}
