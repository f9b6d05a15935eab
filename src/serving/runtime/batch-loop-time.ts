import { performance } from 'node:perf_hooks';

/**
 * The event loop's time spent per model batch, process-wide: the dispatch to the instance
 * thread (gathering the rows, postMessage) and the handling of its reply message up to the
 * per-request resolves. Process-wide because the event loop is: every deployment of the process
 * shares it, and RequestPathMeter splits the loop's busy time into per-batch and per-request
 * parts with it (the simulator re-amortises the per-batch part over its own batch sizes, so a
 * config with small batches pays for more dispatches). The structured-clone decode of the reply
 * happens before the handler runs and is not in it (it counts as per-request time).
 */
export const batchLoopTime = { ms: 0, batches: 0 };

/**
 * The thread hand-off of the batches served, process-wide: dispatch to result (serviceMs) minus
 * the instance thread's own compute, summed, and the batches. It is the postMessage, the
 * instance thread's wait for a core and the reply's wait for the event loop; RequestPathMeter
 * reports its mean under the traffic served, which the simulator compares with the profile's.
 */
export const batchHandoff = { ms: 0, batches: 0 };

/** Runs `f` and adds its duration to the per-batch loop time (`batch`: count it as a batch). */
export function timeBatchWork<T>(f: () => T, batch: boolean): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    batchLoopTime.ms += performance.now() - t0;
    if (batch) batchLoopTime.batches += 1;
  }
}
