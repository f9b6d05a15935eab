/**
 * Runs a command trial's process to its end (Katib's StdOut metrics collector): stdout is read
 * line by line (command-protocol.ts); lines with `step=N` are reported to the study and, when the
 * pruner says so, the process group is killed; the wall clock and the job's cancel kill it too
 * (SIGTERM, then SIGKILL after a grace). Its stderr tail is kept for a failed trial.
 */
import { ChildProcess } from 'node:child_process';
import { ConflictError } from '../../platform/errors/domain-error';
import { JobContext } from '../../platform/jobs/job-handler';
import { killProcessGroup } from '../../platform/sandbox/trial-sandbox';
import { LineSplitter, MetricCollector, parseMetricLine, tail } from '../core/command-protocol';
import { SEARCH_SERVICE_DEFAULTS } from '../core/config/study-config';
import { Study } from '../core/study';

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
  const collector = new MetricCollector();
  let stderr = '';
  let stopped: 'pruned' | 'cancelled' | 'timeout' | null = null;
  let reports: Promise<void> = Promise.resolve();
  let reportError: unknown;
  let killTimer: NodeJS.Timeout | undefined;

  const kill = (why: 'pruned' | 'cancelled' | 'timeout') => {
    if (stopped) return;
    stopped = why;
    killProcessGroup(o.proc, 'SIGTERM');
    killTimer = setTimeout(() => killProcessGroup(o.proc, 'SIGKILL'), KILL_GRACE_MS);
  };
  const onLine = (line: string) => {
    const parsed = parseMetricLine(line);
    if (!parsed) return;
    collector.add(parsed);
    const step = parsed.step;
    if (step === undefined) return;
    const values = o.objectives.map((m) => parsed.metrics[m]);
    reports = reports.then(async () => {
      if (stopped) return;
      for (const [name, value] of Object.entries(parsed.metrics))
        await o.ctx.metric(name, step, value);
      if (values.some((v) => v === undefined || Number.isNaN(v))) return;
      const { shouldPrune } = await o.study.report(o.trialNumber, values, step);
      if (shouldPrune) kill('pruned');
    });
    reports = reports.catch((e: unknown) => {
      reportError ??= e;
    });
  };

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
      void reports.then(() => {
        if (reportError !== undefined && !(reportError instanceof ConflictError))
          return reject(reportError);
        // A trial that ended by itself with all its objectives just before a stop (the sandbox
        // guard reports the exit a moment later) keeps its result: a worker shutdown must not
        // make a finished trial run again. The pruner's word still wins.
        const finishedItself =
          code === 0 && o.objectives.every((m) => collector.last[m] !== undefined);
        if (stopped === 'pruned') return resolve({ kind: 'pruned' });
        if (stopped === 'timeout' && !finishedItself) return resolve({ kind: 'timeout', stderr });
        if (stopped === 'cancelled' && !finishedItself) return resolve({ kind: 'cancelled' });
        if (spawnError) return resolve({ kind: 'error', message: spawnError.message, stderr });
        resolve({ kind: 'exit', code, signal, metrics: collector.last, stderr });
      });
    });
  });
}
