import * as fs from 'node:fs';

/**
 * The machine's CPU time split from /proc/stat (Linux): a reading, and the share of it the
 * hypervisor gave to other guests (steal) and the cores spent idle between two readings. Benches
 * print it beside wall-clock ratios: on a VM a "free" second vCPU with high steal is not free.
 */
export function cpuTimes(): { steal: number; idle: number; total: number } | undefined {
  try {
    const f = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1);
    const v = f.map(Number);
    // user nice system idle iowait irq softirq steal (guest times are inside user/nice).
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { steal: v[7] ?? 0, idle: (v[3] ?? 0) + (v[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** "steal x%, idle y%" between two readings (empty when unreadable). */
export function stealSince(before: ReturnType<typeof cpuTimes>): string {
  const now = cpuTimes();
  if (!before || !now || now.total === before.total) return '';
  const d = now.total - before.total;
  const pct = (x: number): string => `${((100 * x) / d).toFixed(1)}%`;
  return `steal ${pct(now.steal - before.steal)}, idle ${pct(now.idle - before.idle)} of the cores' time`;
}
