// Bundles harness.ts with packages/edge and TF.js into one script for the browser test.
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  build: {
    emptyOutDir: true,
    minify: false,
    lib: {
      entry: new URL('./harness.ts', import.meta.url).pathname,
      formats: ['iife'],
      name: 'edgeHarnessBundle',
      fileName: () => 'harness.js',
    },
  },
});
