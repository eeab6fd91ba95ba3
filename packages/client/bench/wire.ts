import { Worker } from 'node:worker_threads';

/** A TCP pass-through proxy that counts the bytes it carries (the real bytes on the wire). */
export interface CountingProxy {
  url: string;
  bytes(): { up: number; down: number };
  reset(): void;
  close(): Promise<void>;
}

/**
 * The proxy runs in a worker thread: in the engines' thread, it could forward nothing while an
 * engine applies a page (SQLite's calls are synchronous), so a prefetched request would wait
 * for the apply to end before it reached the server, as it never does without the proxy.
 * The counts are in shared memory: [up, down].
 */
const PROXY = `
const { createServer, connect } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const counts = new Float64Array(workerData.counts);
const server = createServer((client) => {
  const upstream = connect(workerData.port, workerData.host);
  client.on('data', (b) => { counts[0] += b.length; upstream.write(b); });
  upstream.on('data', (b) => { counts[1] += b.length; client.write(b); });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

/** Starts a counting proxy on loopback in front of `target` (http://host:port). */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const t = new URL(target);
  const shared = new SharedArrayBuffer(16);
  const counts = new Float64Array(shared);
  const worker = new Worker(PROXY, {
    eval: true,
    workerData: { counts: shared, port: Number(t.port), host: t.hostname },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (p: number) => resolve(p));
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: () => ({ up: counts[0]!, down: counts[1]! }),
    reset: () => {
      counts[0] = 0;
      counts[1] = 0;
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
