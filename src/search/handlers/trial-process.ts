/**
 * Runs a command trial's process to its end (Katib's StdOut metrics collector): stdout is read
 * line by line and its step reports go to the study (TrialStepReports, trial-step-reports.ts);
 * when the pruner says so the process group is killed; the wall clock and the job's cancel kill
 * it too (SIGTERM, then SIGKILL after a grace). Its stderr tail is kept for a failed trial.
 */
import { ChildProcess } from 'node:child_process';
import { JobContext } from '../../platform/jobs/job-handler';
import { killProcessGroup } from '../../platform/sandbox/trial-sandbox';
import { LineSplitter, tail } from '../core/command-protocol';
import { SEARCH_SERVICE_DEFAULTS } from '../core/config/study-config';
import { Study } from '../core/study';
import { TrialStepReports } from './trial-step-reports';

/** Grace between SIGTERM and SIGKILL of the trial's process group. */
const KILL_GRACE_MS = 2000;

export type TrialProcessOutcome =
  | {
      kind: 'exit';
      code: number | null;
      signal: string | null;
      metrics: Record<string, number>;
      stderr: string;
    }
  | { kind: 'pruned' }
  | { kind: 'cancelled' }
  | { kind: 'timeout'; stderr: string }
  | { kind: 'error'; message: string; stderr: string };

export function superviseTrialProcess(o: {
  proc: ChildProcess;
  study: Study;
  trialNumber: number;
  /** The study's objective metrics, in the order of its directions. */
  objectives: readonly string[];
  ctx: JobContext;
  timeoutS: number;
}): Promise<TrialProcessOutcome> {
  const lines = new LineSplitter();
  let stderr = '';
  let stopped: 'pruned' | 'cancelled' | 'timeout' | null = null;
  let killTimer: NodeJS.Timeout | undefined;

  const kill = (why: 'pruned' | 'cancelled' | 'timeout') => {
    if (stopped) return;
    stopped = why;
    killProcessGroup(o.proc, 'SIGTERM');
    killTimer = setTimeout(() => killProcessGroup(o.proc, 'SIGKILL'), KILL_GRACE_MS);
  };
  const reports = new TrialStepReports({
    study: o.study,
    trialNumber: o.trialNumber,
    objectives: o.objectives,
    ctx: o.ctx,
    stopped: () => stopped !== null,
    prune: () => kill('pruned'),
  });
  const onLine = (line: string) => reports.line(line);

  o.proc.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => lines.push(chunk).forEach(onLine));
  o.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = tail(stderr + chunk, SEARCH_SERVICE_DEFAULTS.stderrTailBytes);
  });
  const onAbort = () => kill('cancelled');
  o.ctx.signal.addEventListener('abort', onAbort);
  if (o.ctx.cancelled) onAbort();
  const timer = setTimeout(() => kill('timeout'), o.timeoutS * 1000);

  return new Promise((resolve, reject) => {
    let spawnError: Error | undefined;
    o.proc.on('error', (e) => (spawnError = e));
    o.proc.on('close', (code, signal) => {
      lines.end().forEach(onLine);
      clearTimeout(timer);
      clearTimeout(killTimer);
      o.ctx.signal.removeEventListener('abort', onAbort);
      void reports.settled().then(() => {
        // A trial that ended by itself with all its objectives just before a stop (the sandbox
        // guard reports the exit a moment later) keeps its result: a worker shutdown must not
        // make a finished trial run again. The pruner's word still wins.
        const finishedItself =
          code === 0 && o.objectives.every((m) => reports.last[m] !== undefined);
        if (stopped === 'pruned') return resolve({ kind: 'pruned' });
        if (stopped === 'timeout' && !finishedItself) return resolve({ kind: 'timeout', stderr });
        if (stopped === 'cancelled' && !finishedItself) return resolve({ kind: 'cancelled' });
        if (spawnError) return resolve({ kind: 'error', message: spawnError.message, stderr });
        resolve({ kind: 'exit', code, signal, metrics: reports.last, stderr });
      }, reject);
    });
  });
}
