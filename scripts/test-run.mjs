// The e2e tier's runner (scripts/test.mjs starts it): node:test's run() over the files in the
// order given. `node --test` sorts its files by path (Node 20's createTestFileList), so the
// longest-first order of scripts/test-durations.json never reached it: the ten browser files
// started together, and the longest e2e files (models, nas-trials, references-files) started
// near the end, when one file at a time was left to run on the two cores.
//
//   node -r @swc-node/register --test-timeout=MS scripts/test-run.mjs --concurrency=N
//        [--reporter=tap|spec] [--durations=FILE] files...
//
// The files' processes get this one's execArgv (the TypeScript loader, the per-test timeout).
// --durations writes scripts/test-durations-reporter.mjs's output to FILE. Exit code 1 when a
// test failed.
import { createWriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import fileDurations from './test-durations-reporter.mjs';

const args = process.argv.slice(2);
/** `--name=value`, removed from args. */
function option(name) {
  const i = args.findIndex((a) => a.startsWith(`${name}=`));
  return i < 0 ? undefined : args.splice(i, 1)[0].slice(name.length + 1);
}
const concurrency = Number(option('--concurrency') ?? 1);
const reporter = option('--reporter') ?? 'tap';
const durations = option('--durations');
const files = args;

let failed = false;
const main = new PassThrough({ objectMode: true });
const side = durations ? new PassThrough({ objectMode: true }) : null;
const stream = run({ files, concurrency });
stream.on('data', (event) => {
  if (event.type === 'test:fail' && !event.data.todo) failed = true;
  main.write(event);
  side?.write(event);
});
stream.on('end', () => {
  main.end();
  side?.end();
});
const out = main.compose(reporter === 'spec' ? new spec() : tap);
out.pipe(process.stdout, { end: false });
const waits = [finished(out)];
if (side) {
  const file = createWriteStream(durations);
  side.compose(fileDurations).pipe(file);
  waits.push(finished(file));
}
await Promise.all(waits);
process.exitCode = failed ? 1 : 0;
