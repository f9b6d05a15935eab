/**
 * Diagnostic preload (issue 17: which events make the p99): every GC pause and every 100 ms window
 * whose event-loop delay exceeded 4 ms, with wall-clock stamps comparable across the host's
 * processes (performance.timeOrigin + performance.now()), per process and thread, as JSON lines in
 * $PAUSE_LOG_DIR/p<pid>-t<threadId>.jsonl. Loaded into the bench, the API and their worker
 * threads at once through NODE_OPTIONS:
 *
 *   PAUSE_LOG_DIR=/tmp/pauses NODE_OPTIONS="-r @swc-node/register -r ./bench/serving/pause-log.ts" \
 *     BENCH_DATABASE_URL=... node -r @swc-node/register bench/serving/predicted-vs-measured-http.ts \
 *     --quick --record /tmp/run.json
 *   node -r @swc-node/register bench/serving/slow-requests.ts /tmp/run.json /tmp/pauses
 *
 * Its own cost: a 2 ms event-loop delay histogram and a 100 ms timer per thread.
 */
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.PAUSE_LOG_DIR;
if (dir) {
  const file = `${dir}/p${process.pid}-t${threadId}.jsonl`;
  const now = () => performance.timeOrigin + performance.now();
  let lines: string[] = [
    JSON.stringify({
      kind: 'start',
      pid: process.pid,
      threadId,
      main: isMainThread,
      script: isMainThread ? basename(process.argv[1] ?? 'node') : 'worker',
    }),
  ];
  const flush = () => {
    if (lines.length === 0) return;
    try {
      appendFileSync(file, lines.join('\n') + '\n');
    } catch {
      // A diagnostic: a full disk loses lines, not the run.
    }
    lines = [];
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: unknown } as { detail?: { kind?: number } }).detail?.kind;
      lines.push(
        JSON.stringify({
          kind: 'gc',
          t: performance.timeOrigin + e.startTime,
          d: e.duration,
          k: kind,
        }),
      );
    }
  }).observe({ entryTypes: ['gc'] });
  const h = monitorEventLoopDelay({ resolution: 2 });
  h.enable();
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    const max = h.max / 1e6;
    if (max > 4) lines.push(JSON.stringify({ kind: 'eld', t0: last, t1: t, max }));
    h.reset();
    last = t;
    flush();
  }, 100);
  timer.unref();
  process.on('exit', flush);
}
