// @vitest-environment jsdom
/**
 * The engine's shared driver and store suites against the Tauri driver, with the shell's
 * commands played by `fake-shell.ts` over real SQLite. The end-to-end test runs the same suites
 * inside the real app against the real Rust commands.
 */
import { driverChecks, storeChecks } from '@ferry/client/testing';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, it } from 'vitest';
import { createTauriDriver } from '../src/tauri-driver.ts';
import { installFakeShell } from './support/fake-shell.ts';

afterEach(() => clearMocks());

const make = () => {
  installFakeShell();
  return Promise.resolve(createTauriDriver());
};

describe('shared driver suite over the Tauri driver', () => {
  for (const c of driverChecks) it(c.name, () => c.run(make));
});

describe('shared store suite over the Tauri driver', () => {
  for (const c of storeChecks) it(c.name, () => c.run(make));
});
