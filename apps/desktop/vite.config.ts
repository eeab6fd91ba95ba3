import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// Tauri serves the built files itself; in dev it loads this server (tauri.conf.json devUrl).
export default defineConfig({
  plugins: [solid()],
  resolve: {
    // @ferry/client and @ferry/protocol from their TypeScript sources (no build step first).
    conditions: ['ferry-source', ...defaultClientConditions],
    // No `new Function` in the webview: the CSP has no 'unsafe-eval' (see packages/ui/src/shims).
    alias: [
      {
        find: /^@sinclair\/typebox\/compiler$/,
        replacement: fileURLToPath(
          new URL('../../packages/ui/src/shims/typebox-compiler.ts', import.meta.url),
        ),
      },
    ],
  },
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: { target: 'safari15', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
