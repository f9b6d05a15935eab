import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobFence } from './job-fence';

/**
 * Child process groups of jobs (a command trial runs in its own group, `detached: true`), kept
 * in one small file per worker, `<home>/run/<workerId>.pgids`, one line per group:
 * `<pgid> <start ticks> <job id> <attempt>`. The worker appends a line when it starts a group
 * and drops it when the job ends; the supervisor that sees the worker die kills what the file
 * still lists, and at start it kills what dead workers of this host left behind. A file, not the
 * job row: killing orphans must work while the database is down.
 */
export interface ProcessGroupEntry {
  pgid: number;
  /** Start time of the group leader (clock ticks since boot, /proc/<pid>/stat field 22); 0 unknown. */
  startTicks: number;
  jobId: string;
  attempt: number;
}

const SUFFIX = '.pgids';

export function processGroupDir(home: string): string {
  return path.join(home, 'run');
}

function fileOf(dir: string, workerId: string): string {
  return path.join(dir, `${workerId}${SUFFIX}`);
}

/** Start time of a process from /proc (Linux), 0 when it cannot be read. */
export function processStartTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]) || 0;
  } catch {
    return 0;
  }
}

/**
 * SIGKILLs a recorded group unless its number now belongs to someone else. Linux does not reuse
 * a pid while a group of that number exists, so: a live leader with another start time means
 * the group is gone and the pid reused (left alone); no leader, or the same start time, means
 * whatever still runs in that group is the job's. True if a signal was delivered.
 */
export function killProcessGroup(entry: ProcessGroupEntry): boolean {
  if (!Number.isInteger(entry.pgid) || entry.pgid <= 1) return false;
  const now = processStartTicks(entry.pgid);
  if (now !== 0 && entry.startTicks !== 0 && now !== entry.startTicks) return false;
  try {
    process.kill(-entry.pgid, 'SIGKILL');
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

function parse(text: string): ProcessGroupEntry[] {
  const entries: ProcessGroupEntry[] = [];
  for (const line of text.split('\n')) {
    const [pgid, startTicks, jobId, attempt] = line.trim().split(' ');
    if (!jobId) continue;
    entries.push({
      pgid: Number(pgid),
      startTicks: Number(startTicks),
      jobId,
      attempt: Number(attempt),
    });
  }
  return entries;
}

function readEntries(file: string): ProcessGroupEntry[] {
  try {
    return parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

/** Rewrites the file with `keep` only (atomically); removes it when nothing is left. */
function rewrite(file: string, keep: ProcessGroupEntry[]): void {
  if (keep.length === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, keep.map(format).join(''), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

function format(e: ProcessGroupEntry): string {
  return `${e.pgid} ${e.startTicks} ${e.jobId} ${e.attempt}\n`;
}

/**
 * Kills the groups a worker recorded (all of them, or those `which` selects) and forgets them.
 * Returns how many groups were signalled.
 */
export function killWorkerGroups(
  dir: string,
  workerId: string,
  which: (e: ProcessGroupEntry) => boolean = () => true,
): number {
  const file = fileOf(dir, workerId);
  const entries = readEntries(file);
  let killed = 0;
  for (const e of entries) if (which(e) && killProcessGroup(e)) killed++;
  rewrite(
    file,
    entries.filter((e) => !which(e)),
  );
  return killed;
}

/**
 * At a supervisor's start: kill the groups recorded by workers of this host that are no longer
 * alive (a previous run of the service was killed with its workers) and remove their files.
 */
export function reapOrphanGroups(dir: string, workerAlive: (workerId: string) => boolean): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(SUFFIX));
  } catch {
    return 0;
  }
  let killed = 0;
  for (const name of names) {
    const workerId = name.slice(0, -SUFFIX.length);
    if (workerId.split(':')[0] !== os.hostname() || workerAlive(workerId)) continue;
    killed += killWorkerGroups(dir, workerId);
  }
  return killed;
}

/**
 * The process groups of one running attempt, on the worker's side. With a directory (pool
 * workers) each group is also recorded in the worker's file for the supervisor; without one
 * (a Kubernetes pod, whose processes die with it) they are only tracked in memory.
 */
export class AttemptProcessGroups {
  private readonly groups: ProcessGroupEntry[] = [];

  constructor(
    private readonly fence: JobFence,
    private readonly dir: string | null,
  ) {}

  add(pgid: number): void {
    const entry: ProcessGroupEntry = {
      pgid,
      startTicks: processStartTicks(pgid),
      jobId: this.fence.jobId,
      attempt: this.fence.attempt,
    };
    this.groups.push(entry);
    if (this.dir === null) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.appendFileSync(fileOf(this.dir, this.fence.workerId), format(entry), { mode: 0o600 });
  }

  /** At the end of the attempt: nothing it started may outlive it. */
  killAll(): void {
    if (this.groups.length === 0) return;
    if (this.dir !== null) {
      const mine = (e: ProcessGroupEntry) =>
        e.jobId === this.fence.jobId && e.attempt === this.fence.attempt;
      killWorkerGroups(this.dir, this.fence.workerId, mine);
    } else {
      for (const e of this.groups) killProcessGroup(e);
    }
    this.groups.length = 0;
  }
}
