/**
 * A slow network in front of the server for the end-to-end test: every `POST /v1/sync` answer is
 * held back `delayMs` before it is passed on; everything else (sign-in, the poke stream) passes
 * at once. A long first sync then lasts long enough to act during it, with the server's usual
 * page sizes.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running slow link. */
export interface SlowLink {
  /** The URL to use instead of the server's. */
  readonly url: string;
  close(): Promise<void>;
}

/** Forwards loopback HTTP to `target` (an http:// URL), delaying sync answers by `delayMs`. */
export async function startSlowLink(target: string, delayMs: number): Promise<SlowLink> {
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
      },
      (answer) => {
        const pass = (): void => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (req.method === 'POST' && req.url === '/v1/sync') setTimeout(pass, delayMs);
        else pass();
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
