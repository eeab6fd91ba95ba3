import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { VitePWA } from 'vite-plugin-pwa';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// The server serves `dist/` at `/` (packages/server, `webRoot`). FERRY_WEB_CHECKS=1 adds
// checks.html, the page the browser test runs the engine's driver and store checks on; the
// shipped build leaves it out.
const withChecks = process.env.FERRY_WEB_CHECKS === '1';

/**
 * The service worker (Workbox, through vite-plugin-pwa): it precaches the app shell (index.html,
 * the JS and CSS, the sqlite wasm, the database worker) so a reload with the network off still
 * opens the app. Nothing else is cached: no runtime caching and no navigation fallback, so every
 * API request goes to the network, never to a cache. docs/web.md says why this library.
 */
const pwa = VitePWA({
  registerType: 'autoUpdate',
  // A /registerSW.js file, not an inline script: the CSP allows scripts from 'self' only.
  injectRegister: 'script-defer',
  // Installable: name, standalone display, 192/512 px icons and a maskable one (drawn from
  // public/icon.svg by scripts/make-icons.ts; the PNGs are committed).
  manifest: {
    name: 'Ferry',
    short_name: 'Ferry',
    description: 'Offline-first notes that sync.',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#f7f7f5',
    theme_color: '#1f6feb',
    icons: [
      { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
      { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
      { src: '/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  },
  includeAssets: ['icon.svg'],
  workbox: {
    // The manifest and its icons are added by the plugin itself.
    globPatterns: ['**/*.{html,js,css,wasm}'],
    // The package's own worker1 and OPFS-proxy scripts are emitted but never loaded; the checks
    // page exists only in test builds.
    globIgnores: [
      '**/sqlite3-worker1-*.js',
      '**/sqlite3-opfs-async-proxy-*.js',
      'checks.html',
      'assets/checks-*',
    ],
    navigateFallback: null,
    runtimeCaching: [],
    // Vite's hashed file names are their revision.
    dontCacheBustURLsMatching: /^assets\//,
    cleanupOutdatedCaches: true,
    clientsClaim: true,
    skipWaiting: true,
    inlineWorkboxRuntime: true,
  },
});

export default defineConfig({
  plugins: [solid(), pwa],
  resolve: {
    // @ferry/client and @ferry/protocol from their TypeScript sources (no build step first).
    conditions: ['ferry-source', ...defaultClientConditions],
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
    // FERRY_WEB_MINIFY=0 keeps the names, for profiling (`npm run bench:web`, BENCH_PROFILE).
    minify: process.env.FERRY_WEB_MINIFY !== '0',
    rollupOptions: {
      input: withChecks
        ? { main: here('./index.html'), checks: here('./checks.html') }
        : { main: here('./index.html') },
    },
  },
});
