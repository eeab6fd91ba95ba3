/** Shared suites for SqlDriver implementations and the engine's storage, runnable without vitest. */
export { driverChecks, runDriverChecks, type MakeDriver } from './driver-checks.ts';
export { storeChecks, runStoreChecks, type MakeStoreDriver } from './store-checks.ts';
export { FakeRemote } from './fake-remote.ts';
export { ok, equal, rejects, type Check } from './assert.ts';
