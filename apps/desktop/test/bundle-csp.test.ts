/**
 * The app's CSP (tauri.conf.json) has no 'unsafe-eval': the bundle must generate no code at run
 * time (test/support/bundle-csp.ts says what is checked).
 */
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { expectBundleGeneratesNoCode } from '../../../test/support/bundle-csp.ts';

describe('the desktop bundle', () => {
  it('generates no code at run time (the CSP forbids eval) and needs no alias to manage it', () =>
    expectBundleGeneratesNoCode(fileURLToPath(new URL('..', import.meta.url))));
});
