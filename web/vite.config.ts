/**
 * The lab's build: root web/, output web-dist/ (served by `npm start` and `zablab view`).
 * `base: './'` makes the build relocatable: it works from any path and from file://-less
 * static servers alike. The simulator under sim/ is bundled into the Web Worker.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../web-dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    sourcemap: true,
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
