/**
 * Diagnostic preload (issue 17: what the API allocates per request): V8's sampling heap profiler
 * over the process's main thread, keeping the samples of objects that a scavenge or a
 * mark-compact collected later (so it shows garbage, not only what is alive at the end), written
 * as a .heapprofile (Chrome DevTools format) to $ALLOC_PROFILE_DIR when the process exits or gets
 * SIGUSR2 (ALLOC_PROFILE_SURVIVORS=1: only what survived the scavenges). Loaded into the API through BENCH_API_NODE_ARGS:
 *
 *   ALLOC_PROFILE_DIR=/tmp/alloc BENCH_API_NODE_ARGS="-r ./bench/serving/alloc-profile.ts" \
 *     BENCH_DATABASE_URL=... node -r @swc-node/register bench/serving/gc-survival.ts
 *   node -r @swc-node/register bench/serving/alloc-report.ts /tmp/alloc/*.heapprofile
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.ALLOC_PROFILE_DIR;
if (dir && isMainThread) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    // ALLOC_PROFILE_SURVIVORS=1: leave out what a scavenge collected, so the profile holds what
    // was promoted to the old generation (and what is alive at the end).
    includeObjectsCollectedByMinorGC: process.env.ALLOC_PROFILE_SURVIVORS !== '1',
  });
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err)
        writeFileSync(`${dir}/api-${process.pid}.heapprofile`, JSON.stringify(result.profile));
    });
  };
  process.on('SIGUSR2', write);
  process.on('exit', write);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.prependListener(signal, write);
}
