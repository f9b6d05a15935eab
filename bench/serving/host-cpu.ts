/**
 * Where the host's CPU went during a measured run (Linux /proc): the whole host's busy cores
 * (/proc/stat), the API process's main thread (its event loop), its busiest other thread (the
 * instance's worker thread: every thread of a Node process is called "node", so it is told
 * apart by being the one that computes) and the rest of its threads (V8's GC helpers, libuv),
 * and this process (the load generator). In cores: CPU seconds per second of wall time.
 *
 * The figure's model gives the same split as predicted utilisations (the event loop's, the
 * instance's, the generator's), so a run where the host was busier than the model thought,
 * or saturated outright, shows as such beside its error.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface HostCpu {
  /** Busy cores of the whole host (user + nice + system + irq + softirq + steal). */
  busyCores: number;
  /** The host's cores (cpu lines in /proc/stat). */
  cores: number;
  apiMainCores: number;
  /** The API's busiest thread other than the main one: the instance's worker. */
  apiInstanceCores: number;
  /** The API's other threads. */
  apiRestCores: number;
  generatorCores: number;
}

interface Snapshot {
  at: number;
  hostBusy: number;
  hostCores: number;
  threads: Map<string, number>;
  self: number;
}

const TICKS_PER_S = 100;

function hostTicks(): { busy: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  // user nice system idle iowait irq softirq steal
  const f = lines[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  return { busy, cores: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(f[11]) + Number(f[12]));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Starts measuring; the returned function ends it and gives the split. */
export function startHostCpu(apiPid: number | undefined): () => HostCpu | undefined {
  const take = (): Snapshot => {
    const h = hostTicks();
    const u = process.cpuUsage();
    return {
      at: performance.now(),
      hostBusy: h.busy,
      hostCores: h.cores,
      threads: apiPid ? threadTicks(apiPid) : new Map(),
      self: (u.user + u.system) / 1e6,
    };
  };
  let start: Snapshot;
  try {
    start = take();
  } catch {
    return () => undefined;
  }
  return () => {
    try {
      const end = take();
      const wall = (end.at - start.at) / 1000;
      const perThread = [...end.threads].map(([tid, t]) => ({
        tid,
        cores: (t - (start.threads.get(tid) ?? 0)) / TICKS_PER_S / wall,
      }));
      const main = perThread.find((x) => x.tid === String(apiPid))?.cores ?? 0;
      const others = perThread.filter((x) => x.tid !== String(apiPid)).map((x) => x.cores);
      const instance = others.length ? Math.max(...others) : 0;
      const rest = others.reduce((a, x) => a + x, 0) - instance;
      return {
        busyCores: (end.hostBusy - start.hostBusy) / TICKS_PER_S / wall,
        cores: end.hostCores,
        apiMainCores: main,
        apiInstanceCores: instance,
        apiRestCores: rest,
        generatorCores: (end.self - start.self) / wall,
      };
    } catch {
      return undefined;
    }
  };
}

/** "1.84 of 2 (loop 0.52, instance 0.71, API rest 0.08, generator 0.49)". */
export function hostCpuText(h: HostCpu | undefined): string {
  if (!h) return '?';
  const f = (x: number) => x.toFixed(2);
  return `${f(h.busyCores)} of ${h.cores} (loop ${f(h.apiMainCores)}, instance ${f(h.apiInstanceCores)}, API rest ${f(h.apiRestCores)}, generator ${f(h.generatorCores)})`;
}
