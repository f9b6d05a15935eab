/**
 * CPU time of the calling thread in nanoseconds, for the parallel meter (thread-meter.ts): NaN
 * until the runtime installs a clock. The clock reads a file (/proc/thread-self/schedstat,
 * data-parallel/thread-cpu.ts), and the training loop is reachable from pure cores, so the
 * reading is installed from outside, as the replica pools are (enableThreadDataParallel; each
 * replica thread installs its own).
 */
let clock: () => number = () => NaN;

export function threadCpuNs(): number {
  return clock();
}

export function installThreadCpuClock(next: () => number): void {
  clock = next;
}
