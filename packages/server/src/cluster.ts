/**
 * `FERRY_WORKERS` > 1: this process becomes a node:cluster primary that runs N server processes
 * on one port (the primary accepts connections and hands them to the workers in turn). Every
 * worker is a whole server (`createServer`) with its own pool and its own LISTEN connection, so a
 * push committed by any worker pokes the streams of every worker; nothing else is shared in memory.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ServerConfig } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './db/embedded.ts';
import type { RunningServer } from './server.ts';

export type ClusterLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  extra?: Record<string, unknown>,
) => void;

/** A worker that exits after it was serving is replaced after this long. */
const RESPAWN_DELAY_MS = 1000;

/** True in a process that should start a cluster rather than serve itself. */
export function wantsCluster(config: ServerConfig): boolean {
  return config.workers > 1 && cluster.isPrimary;
}

/**
 * Starts `config.workers` workers (each runs this program's entry point again, sees that it is a
 * worker and serves) and resolves once every one is listening. Without a database URL the
 * embedded PostgreSQL is started here, once, and handed to the workers as DATABASE_URL. A worker
 * that dies before listening fails the start; one that dies later is replaced.
 */
export async function startCluster(config: ServerConfig, log: ClusterLog): Promise<RunningServer> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    embedded = await startEmbeddedPostgres(config.dataDir, (m) => log('info', m));
    databaseUrl = embedded.url;
  }
  // Workers accept from the shared listening socket themselves (the kernel picks one) instead of
  // the primary accepting and handing each connection over (round robin, node's default): under
  // round robin the primary keeps its copy of a connection until the worker's acknowledgement
  // arrives, so a worker killed in that window leaves the connection open in the primary, and a
  // client that reuses it (keep-alive) waits forever. Seen in scaling.test.ts; see docs/scaling.md.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const env = { DATABASE_URL: databaseUrl };
  const serving = new Set<Worker>();
  let stopping = false;
  let started = false;
  let url = '';

  const fork = (): Worker => {
    const w = cluster.fork(env);
    w.on('listening', (addr) => {
      serving.add(w);
      url = urlOf(config, addr);
    });
    return w;
  };
  const stopAll = async (): Promise<void> => {
    stopping = true;
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(all.map((w) => stopWorker(w)));
    await embedded?.stop();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const first = Array.from({ length: config.workers }, fork);
      const onListening = (): void => {
        if (first.every((w) => serving.has(w))) {
          cluster.off('listening', onListening);
          started = true;
          resolve();
        }
      };
      cluster.on('listening', onListening);
      cluster.on('exit', (w, code, signal) => {
        serving.delete(w);
        if (stopping) return;
        if (!started) {
          reject(
            new Error(`a server worker exited before listening (code ${code}, signal ${signal})`),
          );
          return;
        }
        log('error', 'a server worker exited; starting another', {
          pid: w.process.pid,
          code,
          signal,
        });
        setTimeout(() => {
          if (!stopping) fork();
        }, RESPAWN_DELAY_MS).unref();
      });
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
  log('info', `${config.workers} server workers started`, { workers: config.workers });

  let closing: Promise<void> | undefined;
  return {
    url,
    databaseUrl,
    close() {
      closing ??= stopAll();
      return closing;
    },
  };
}

/** Asks a worker to shut down in order (its own SIGTERM handler) and waits for it to exit. */
function stopWorker(w: Worker): Promise<void> {
  if (w.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('exit', () => resolve());
    w.process.kill('SIGTERM');
  });
}

function urlOf(
  config: ServerConfig,
  addr: { address: string | null; port: number; addressType: number | string },
): string {
  const scheme = config.tlsCertPath !== undefined ? 'https' : 'http';
  const a = addr.address ?? config.host;
  const host =
    a === '0.0.0.0' || a === '::' || a === '' ? '127.0.0.1' : a.includes(':') ? `[${a}]` : a;
  return `${scheme}://${host}:${addr.port}`;
}
