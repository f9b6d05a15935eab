import * as fs from 'node:fs';

/**
 * CPU time of the calling thread in nanoseconds (Linux /proc/thread-self/schedstat, first field:
 * time on a core), or NaN where the kernel does not expose it. Unlike process.cpuUsage it is one
 * thread's: the main thread and each worker replica read their own (each thread has its own
 * module instance, hence its own descriptor, opened on its first read). A getrusage and a pread
 * per reading (about 10 us); readFileSync's open/stat/read/close cost 40-200 us under load.
 */
export function schedstatThreadCpuNs(): number {
  if (fd === undefined) {
    try {
      fd = process.platform === 'linux' ? fs.openSync('/proc/thread-self/schedstat', 'r') : null;
    } catch {
      fd = null;
    }
  }
  if (fd === null) return NaN;
  try {
    // schedstat shows the running thread's CPU as of its last tick or switch (1-4 ms stale);
    // getrusage(RUSAGE_SELF), i.e. process.cpuUsage, brings the calling thread's up to date.
    process.cpuUsage();
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('latin1', 0, n);
    return Number(text.slice(0, text.indexOf(' ')));
  } catch {
    fd = null;
    return NaN;
  }
}

/** This thread's descriptor of its schedstat file; null: not readable here. */
let fd: number | null | undefined;
const buffer = Buffer.alloc(128);
