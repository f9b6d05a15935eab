// The console is built into console/dist and served by the API at `/` (same origin, no CORS).
// `npm run dev:console` proxies the API routes to a service on :3000 for development.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const brotliCompress = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Text assets worth compressing (maps are only fetched by developer tools). */
const COMPRESSIBLE = /\.(js|mjs|css|svg|json|txt)$/;

/**
 * Writes `<file>.br` and `<file>.gz` beside every compressible asset, once, at build time; the
 * server sends the copy the browser accepts (src/platform/http/console.ts).
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'autodl-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async writeBundle(_options, bundle) {
      const jobs: Promise<void>[] = [];
      for (const name of Object.keys(bundle)) {
        if (!COMPRESSIBLE.test(name)) continue;
        const file = path.join(outDir, name);
        const raw = fs.readFileSync(file);
        if (raw.length < 1024) continue;
        // zlib's asynchronous calls run on the libuv pool: the files compress in parallel.
        const brotli = brotliCompress(raw, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
          },
        }).then((b) => fs.promises.writeFile(`${file}.br`, b));
        const gzipped = gzip(raw, { level: 9 }).then((b) => fs.promises.writeFile(`${file}.gz`, b));
        jobs.push(brotli, gzipped);
      }
      await Promise.all(jobs);
    },
  };
}

export default defineConfig({
  base: '/',
  // The on-device library from its sources (packages/edge), as the workspace package would be.
  resolve: {
    alias: {
      '@autodl/edge': fileURLToPath(new URL('../packages/edge/src/index.ts', import.meta.url)),
    },
  },
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    // The compression above is the slow part of the build, on purpose (once, not per request).
    rolldownOptions: {
      checks: { pluginTimings: false },
      output: {
        // Modules two or more chunks share go in one `shared` chunk rather than many small ones:
        // a page then needs its own chunk and at most echarts, not four requests competing for
        // the browser's six connections with the page's API calls (docs/benchmarks.md).
        codeSplitting: {
          groups: [
            {
              name: 'shared',
              minShareCount: 2,
              test: (id: string) => !/[\\/]node_modules[\\/](echarts|zrender|tslib)[\\/]/.test(id),
            },
          ],
        },
      },
    },
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:3000', '/healthz': 'http://127.0.0.1:3000' },
  },
});
