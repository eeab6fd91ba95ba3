/**
 * One device of the client bench's 10 × 1 000 scenario in a worker thread of its own, as a real
 * device runs on its own machine: its engine, SQLite calls and response decoding do not wait for
 * the other nine devices' (in one thread, they all queue behind each other's synchronous work).
 *
 * Messages in: `{ op: 'sync' }` (one `sync()`), `{ op: 'close' }`. Messages out: `{ ready }` after
 * sign-in and the offline notes, then after each sync `{ count, requests, httpMs, cpuMs }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ferrySchema } from '@ferry/protocol';
import { fetchHttp, memoryTokenStore, openFerry, type HttpFn } from '../src/index.ts';
import { openNodeDriver } from '../src/node/index.ts';

/** What the bench hands a device. */
export interface EngineWorkerData {
  readonly server: string;
  readonly user: string;
  readonly password: string;
  readonly signup: boolean;
  readonly index: number;
  readonly notes: number;
  readonly dbPath: string;
  readonly compress: boolean;
}

/** A device's answer to `sync`. */
export interface EngineSyncReport {
  readonly count: number;
  readonly requests: number;
  readonly httpMs: number;
}

const data = workerData as EngineWorkerData;
const port = parentPort!;
let requests = 0;
let httpMs = 0;
const http: HttpFn = Object.assign(
  async (req: Parameters<HttpFn>[0]) => {
    requests++;
    const t = performance.now();
    try {
      return await fetchHttp(req);
    } finally {
      httpMs += performance.now() - t;
    }
  },
  { codings: fetchHttp.codings },
);

const f = await openFerry({
  ...ferrySchema,
  driver: await openNodeDriver(data.dbPath, { synchronous: 'FULL' }),
  tokenStore: memoryTokenStore(),
  http,
  compress: data.compress,
});
if (data.signup) await f.signup(data.server, data.user, data.password);
else await f.login(data.server, data.user, data.password);
for (let k = 0; k < data.notes; k++)
  await f.tables.notes.create({
    title: `client ${data.index} note ${k}`,
    content: `written offline by client ${data.index}`,
  });
port.postMessage({ ready: true });

port.on('message', (m: { op: 'sync' | 'close' }) => {
  void (async () => {
    if (m.op === 'close') {
      await f.close();
      port.close();
      return;
    }
    requests = 0;
    httpMs = 0;
    await f.sync();
    const count = await f.tables.notes.count({ deleted: true });
    const report: EngineSyncReport = { count, requests, httpMs };
    port.postMessage(report);
  })().catch((e: unknown) => port.postMessage({ error: String(e) }));
});
