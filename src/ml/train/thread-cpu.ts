import * as fs from 'node:fs';

/**
 * CPU time of the calling thread in nanoseconds (Linux /proc/thread-self/schedstat, first field:
 * time on a core), or NaN where the kernel does not expose it. Unlike process.cpuUsage it is one
 * thread's: the main thread and each worker replica read their own. About 20-40 us per read.
 */
export function threadCpuNs(): number {
  if (!readable) return NaN;
  try {
    const text = fs.readFileSync('/proc/thread-self/schedstat', 'latin1');
    return Number(text.slice(0, text.indexOf(' ')));
  } catch {
    readable = false;
    return NaN;
  }
}

let readable = process.platform === 'linux';
