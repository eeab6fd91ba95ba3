import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The workspace packages' `ferry-source` export: tests run the TypeScript sources of
  // @ferry/protocol, client and server, not their built dist/ (docs/packages.md). `resolve` is
  // for the jsdom tests (Vite's client environment), `ssr` for the Node ones.
  resolve: { conditions: ['ferry-source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['ferry-source', ...defaultServerConditions] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'apps/desktop/test/**/*.test.ts',
      'apps/web/test/**/*.test.ts',
      'test/*.test.ts',
    ],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
