#!/usr/bin/env node
// The `autodl` command: runs the built CLI (npm run build), or the TypeScript source in a checkout.
const fs = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'cli', 'autodl.js');
const source = path.join(__dirname, '..', 'src', 'cli', 'autodl.ts');
let cli;
if (fs.existsSync(built)) {
  cli = require(built);
} else if (fs.existsSync(source)) {
  require('./register-ts.cjs');
  cli = require(source);
} else {
  process.stderr.write('autodl: not built; run `npm run build` first\n');
  process.exit(1);
}
cli.exitQuietlyOnClosedPipe();
cli.runCli(process.argv);
