import { defaultClientConditions, defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// Tauri serves the built files itself; in dev it loads this server (tauri.conf.json devUrl).
export default defineConfig({
  plugins: [solid()],
  resolve: {
    // @ferry/client and @ferry/protocol from their TypeScript sources (no build step first).
    conditions: ['ferry-source', ...defaultClientConditions],
  },
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: { target: 'safari15', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
