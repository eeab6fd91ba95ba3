import { createServer, connect, type AddressInfo, type Server } from 'node:net';

/** A TCP pass-through proxy that counts the bytes it carries (the real bytes on the wire). */
export interface CountingProxy {
  url: string;
  bytes(): { up: number; down: number };
  reset(): void;
  close(): Promise<void>;
}

/** Starts a counting proxy on loopback in front of `target` (http://host:port). */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const t = new URL(target);
  let up = 0;
  let down = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(t.port), t.hostname);
    client.on('data', (b: Buffer) => {
      up += b.length;
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      down += b.length;
      client.write(b);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: () => ({ up, down }),
    reset: () => {
      up = 0;
      down = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.unref();
      }),
  };
}
