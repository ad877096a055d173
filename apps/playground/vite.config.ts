// The playground's Vite config. The page imports the workspace packages by name, as a user of the
// published packages would (their "default" export: the built dist/, so run `tsc -b` first; the
// root scripts do). The bundled Fashion-MNIST sample is copied next to the page as its public
// folder, so the page fetches nothing from another origin.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Cross-origin isolation: SharedArrayBuffer, so the CPU backend keeps float32 tensors in shared
// WebAssembly memory. A static host must send the same two headers (the page works without
// them, on private memory).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// Hubel's packages import a few Node built-ins dynamically, on Node-only paths (GEMM worker
// threads, file writes); Vite leaves them out of the page and says so. Those notes, and only
// those, are dropped; every other warning is printed.
const nodeOnly = /Module "node:[\w/]+" has been externalized for browser compatibility, imported by "[^"]*\/(packages|node_modules\/@hubel)\//;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  // @hubel/data's bundled sample (the package ships its sample/ folder): served at
  // fashion-mnist/*.gz, with its LICENSE and README.
  publicDir: fileURLToPath(new URL('./node_modules/@hubel/data/sample/', import.meta.url)),
  // protobufjs (under @hubel/io) probes require('fs'); in a page there is none.
  resolve: { alias: [{ find: /^fs$/, replacement: fileURLToPath(new URL('./src/no-fs.ts', import.meta.url)) }] },
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  // backend-cpu compiles its WebAssembly with top-level await.
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2048,
    rollupOptions: { onwarn: (warning, warn) => void (nodeOnly.test(warning.message) ? undefined : warn(warning)) },
  },
  // The worker's CommonJS dependencies, pre-bundled up front (found later, they reload the page).
  optimizeDeps: { include: ['@hubel/io > protobufjs', '@hubel/core > tapable', '@hubel/viz > fast-png', '@hubel/data > fast-png', '@hubel/data > jpeg-js'], esbuildOptions: { target: 'es2022' } },
});
