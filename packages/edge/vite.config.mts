// The library build: ES modules, one file per entry, TF.js left to the application (a peer
// dependency), so a bundler that imports one function tree-shakes the rest (`sideEffects: false`).
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    minify: false,
    lib: {
      entry: { index: 'src/index.ts', node: 'src/node.ts' },
      formats: ['es'],
      fileName: (_format, name) => `${name}.mjs`,
    },
    rolldownOptions: {
      external: (id: string) =>
        id.startsWith('@tensorflow/') || id.startsWith('node:') || builtinModules.includes(id),
    },
  },
});
