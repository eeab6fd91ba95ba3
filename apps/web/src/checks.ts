/**
 * The test page (checks.html, built only with FERRY_WEB_CHECKS=1): runs the engine's shared
 * driver and store checks on the OPFS driver in this browser and publishes the outcome on
 * `window.__ferryChecks` for the browser test (test/browser-checks.test.ts).
 */
import { driverChecks, storeChecks, type Check, type MakeDriver } from '@ferry/client/testing';
import { linkWorker, startDbWorker } from './db/worker-link.ts';
import { openWasmDriver } from './db/wasm-driver.ts';

export interface CheckOutcome {
  suite: string;
  name: string;
  error?: string;
}

declare global {
  interface Window {
    __ferryChecks?: { done: boolean; outcomes: CheckOutcome[]; fatal?: string };
  }
}

async function runAll(): Promise<CheckOutcome[]> {
  const link = linkWorker(startDbWorker());
  let n = 0;
  // A fresh database file for each check, as the checks expect.
  const make: MakeDriver = () => openWasmDriver(link, `check-${Date.now()}-${n++}.sqlite3`);
  const suites: [string, Check<MakeDriver>[]][] = [
    ['driver', driverChecks],
    ['store', storeChecks],
  ];
  const outcomes: CheckOutcome[] = [];
  for (const [suite, checks] of suites) {
    for (const c of checks) {
      try {
        await c.run(make);
        outcomes.push({ suite, name: c.name });
      } catch (e) {
        outcomes.push({ suite, name: c.name, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  return outcomes;
}

window.__ferryChecks = { done: false, outcomes: [] };
runAll().then(
  (outcomes) => {
    window.__ferryChecks = { done: true, outcomes };
    document.getElementById('status')!.textContent = 'done';
  },
  (e: unknown) => {
    window.__ferryChecks = { done: true, outcomes: [], fatal: String(e) };
  },
);
