/**
 * `npm start`: Ferry's own notes server. Parse the configuration once, start the server with
 * Ferry's tables (an app of the engine like any other: the server itself names no table), and
 * shut down in order on SIGTERM/SIGINT (stop accepting, let in-flight requests finish, close the
 * database, stop the embedded PostgreSQL).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ferrySchema } from '@ferry/protocol';
import { startCluster, wantsCluster } from './cluster.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createServer } from './server.ts';

function log(
  level: 'info' | 'warn' | 'error',
  msg: string,
  extra: Record<string, unknown> = {},
): void {
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), msg, ...extra })}\n`);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // From the repository, `npm start` serves the web app it built (apps/web/dist) unless told
  // otherwise (FERRY_WEB_ROOT / --web-root).
  const builtWeb = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url));
  if (config.webRoot === undefined && existsSync(`${builtWeb}/index.html`))
    config = { ...config, webRoot: builtWeb };
  log(
    'info',
    config.databaseUrl === undefined
      ? `starting embedded PostgreSQL in ${config.dataDir}`
      : 'connecting to PostgreSQL',
  );
  // FERRY_WORKERS > 1: this process supervises the workers, each of which runs this file again
  // (so each serves Ferry's schema too).
  const server = wantsCluster(config)
    ? await startCluster(config, log)
    : await createServer({ ...config, ...ferrySchema });
  log('info', `ferry server listening on ${server.url}`, { url: server.url });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal}: shutting down`);
    const force = setTimeout(() => {
      log('error', 'shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    server.close().then(
      () => {
        log('info', 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log('error', 'shutdown failed', { err: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `ferry server failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
