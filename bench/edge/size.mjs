// Gzipped size of @autodl/edge as an application ships it: vite (rolldown) production builds of
// tiny entries that import parts of the library, minified, TF.js left external (the page has it
// anyway) or bundled (the whole download), then gzip -9 of the output.
//
//   node bench/edge/size.mjs
//
// The entries show tree-shaking: importing only loadBundle leaves out the model, cache and
// training code.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = resolve(import.meta.dirname, '..', '..');
const lib = join(root, 'packages', 'edge', 'src', 'index.ts');
const entries = {
  'EdgeModel (predict, feedback, personalize, save/load)': `import { EdgeModel } from '${lib}'; globalThis.x = EdgeModel;`,
  'loadBundle only': `import { loadBundle } from '${lib}'; globalThis.x = loadBundle;`,
  'everything exported': `import * as edge from '${lib}'; globalThis.x = edge;`,
};

async function size(code, external) {
  const dir = mkdtempSync(join(tmpdir(), 'edge-size-'));
  try {
    writeFileSync(join(dir, 'entry.js'), code);
    await build({
      root: dir,
      logLevel: 'silent',
      configFile: false,
      build: {
        outDir: join(dir, 'out'),
        minify: true,
        lib: { entry: join(dir, 'entry.js'), formats: ['es'], fileName: () => 'out.mjs' },
        rolldownOptions: { external: external ? (id) => id.startsWith('@tensorflow/') : [] },
      },
    });
    let raw = 0;
    let gz = 0;
    for (const f of readdirSync(join(dir, 'out'))) {
      const bytes = readFileSync(join(dir, 'out', f));
      raw += bytes.length;
      gz += gzipSync(bytes, { level: 9 }).length;
    }
    return { raw, gz };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
process.stdout.write(
  '| import | library code, minified | gzipped | with TF.js bundled, gzipped |\n',
);
process.stdout.write('| --- | --- | --- | --- |\n');
for (const [name, code] of Object.entries(entries)) {
  const own = await size(code, true);
  const all = await size(code, false);
  process.stdout.write(`| ${name} | ${kb(own.raw)} | ${kb(own.gz)} | ${kb(all.gz)} |\n`);
}
