// A node:test reporter for scripts/test.mjs --record-durations: each file's run time (the sum of
// its top-level tests' durations, in seconds) as one JSON object {file: seconds}, relative to the
// repository root, for scripts/test-durations.json.
import { relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

export default async function* fileDurations(source) {
  const seconds = {};
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file || details?.duration_ms === undefined) continue;
    const f = relative(root, file);
    seconds[f] = (seconds[f] ?? 0) + details.duration_ms / 1000;
  }
  yield JSON.stringify(seconds) + '\n';
}
