// Bundles bench/edge/browser-entry.ts with packages/edge and TF.js into one script for Chromium.
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  build: {
    emptyOutDir: true,
    minify: false,
    lib: {
      entry: new URL('./browser-entry.ts', import.meta.url).pathname,
      formats: ['iife'],
      name: 'edgeBenchBundle',
      fileName: () => 'bench.js',
    },
  },
});
