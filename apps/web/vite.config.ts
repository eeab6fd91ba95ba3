import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// The server serves `dist/` at `/` (packages/server, `webRoot`). FERRY_WEB_CHECKS=1 adds
// checks.html, the page the browser test runs the engine's driver and store checks on; the
// shipped build leaves it out.
const withChecks = process.env.FERRY_WEB_CHECKS === '1';

export default defineConfig({
  plugins: [solid()],
  resolve: {
    // @ferry/client and @ferry/protocol from their TypeScript sources (no build step first).
    conditions: ['ferry-source', ...defaultClientConditions],
    // No `new Function` under the page's CSP (no 'unsafe-eval'): see packages/ui/src/shims.
    alias: [
      {
        find: /^@sinclair\/typebox\/compiler$/,
        replacement: here('../../packages/ui/src/shims/typebox-compiler.ts'),
      },
    ],
  },
  // sqlite-wasm finds its .wasm next to its module (import.meta.url); pre-bundling would move it.
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm'] },
  worker: { format: 'es' },
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  build: {
    target: 'es2022',
    outDir: process.env.FERRY_WEB_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      input: withChecks
        ? { main: here('./index.html'), checks: here('./checks.html') }
        : { main: here('./index.html') },
    },
  },
});
