/**
 * The page's CSP (packages/server, the web root's headers) has no 'unsafe-eval': the bundle,
 * service worker included, must generate no code at run time (test/support/bundle-csp.ts says
 * what is checked).
 */
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { expectBundleGeneratesNoCode } from '../../../test/support/bundle-csp.ts';

describe('the web bundle', () => {
  it('generates no code at run time (the CSP forbids eval) and needs no alias to manage it', () =>
    expectBundleGeneratesNoCode(fileURLToPath(new URL('..', import.meta.url))));
});
