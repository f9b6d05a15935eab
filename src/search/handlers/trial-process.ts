/**
 * Runs a command trial's process to its end (Katib's StdOut metrics collector): stdout is read
 * line by line and its step reports go to the study (TrialStepReports, trial-step-reports.ts);
 * when the pruner says so the process is stopped; the wall clock and the job's cancel stop it
 * too. Its stderr tail is kept for a failed trial. Where the process runs is a TrialRun: a child
 * of this worker (childTrialRun: SIGTERM to its group, then SIGKILL after a grace) or the user's
 * container of a trial pod (collected-trial.ts: a file the collector follows, a stop file).
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

/** A trial's process as the supervisor sees it, wherever it runs. */
export interface TrialRun {
  /** Starts delivering output to `sink`; `sink.end` is called once, when the process is gone. */
  start(sink: TrialSink): void;
  /** Asks the process to stop; it still ends through `sink.end`. Called at most once. */
  stop(): void;
}

export interface TrialSink {
  stdout(chunk: string): void;
  stderr(chunk: string): void;
  end(code: number | null, signal: string | null, error?: Error): void;
}

/** A child process of this worker (the trial sandbox's), stopped by its process group. */
export function childTrialRun(proc: ChildProcess): TrialRun {
  let killTimer: NodeJS.Timeout | undefined;
  return {
    start(sink) {
      let spawnError: Error | undefined;
      proc.stdout?.setEncoding('utf8').on('data', (c: string) => sink.stdout(c));
      proc.stderr?.setEncoding('utf8').on('data', (c: string) => sink.stderr(c));
      proc.on('error', (e) => (spawnError = e));
      proc.on('close', (code, signal) => {
        clearTimeout(killTimer);
        sink.end(code, signal, spawnError);
      });
    },
    stop() {
      killProcessGroup(proc, 'SIGTERM');
      killTimer = setTimeout(() => killProcessGroup(proc, 'SIGKILL'), KILL_GRACE_MS);
    },
  };
}

export function superviseTrialProcess(o: SuperviseOptions & { proc: ChildProcess }) {
  return superviseTrial(childTrialRun(o.proc), o);
}

export interface SuperviseOptions {
  study: Study;
  trialNumber: number;
  /** The study's objective metrics, in the order of its directions. */
  objectives: readonly string[];
  ctx: JobContext;
  timeoutS: number;
}

export function superviseTrial(run: TrialRun, o: SuperviseOptions): Promise<TrialProcessOutcome> {
  const lines = new LineSplitter();
  let stderr = '';
  let stopped: 'pruned' | 'cancelled' | 'timeout' | null = null;

  const kill = (why: 'pruned' | 'cancelled' | 'timeout') => {
    if (stopped) return;
    stopped = why;
    run.stop();
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
  const onAbort = () => kill('cancelled');

  return new Promise((resolve, reject) => {
    o.ctx.signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => kill('timeout'), o.timeoutS * 1000);
    if (o.ctx.cancelled) onAbort();
    run.start({
      stdout: (chunk) => lines.push(chunk).forEach(onLine),
      stderr: (chunk) => {
        stderr = tail(stderr + chunk, SEARCH_SERVICE_DEFAULTS.stderrTailBytes);
      },
      end: (code, signal, spawnError) => {
        lines.end().forEach(onLine);
        clearTimeout(timer);
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
      },
    });
  });
}
