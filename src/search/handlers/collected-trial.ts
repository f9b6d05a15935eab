/**
 * A command trial that runs in the user's own image (Katib's file metrics collector): the trial
 * pod's `trial` container runs the wrapper of src/platform/core/trial-container.ts, and this
 * worker, its `worker` container, is the collector. It writes the command file (argv with the
 * trial's `${name}` substitutions, the declared environment and AUTODL_TRIAL_PARAMS, as the
 * sandbox would give them), follows the output file for step reports (the same supervision as a
 * sandboxed child, trial-process.ts) and ends when the exit file appears. To stop the command
 * (prune, timeout, cancel) it writes the stop file; the wrapper signals the process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  STOP_GRACE_S,
  TRIAL_FILES,
  parseExitCode,
  trialCommandScript,
} from '../../platform/core/trial-container';
import { JobContext } from '../../platform/jobs/job-handler';
import { substituteArgs } from '../core/command-protocol';
import { Study } from '../core/study';
import { FrozenTrial } from '../core/trial';
import { trialEnv, type TrialCommand } from './sandboxed-trial';
import { TrialProcessOutcome, TrialRun, superviseTrial } from './trial-process';

/** How often the output and exit files are read. */
const POLL_MS = 200;
/** After a stop, how long the wrapper gets to report the exit before the trial is given up. */
const STOP_WAIT_MS = (STOP_GRACE_S + 20) * 1000;

export async function runCollectedTrial(
  dir: string,
  o: {
    runner: TrialCommand;
    study: Study;
    trial: FrozenTrial;
    objectives: readonly string[];
    ctx: JobContext;
    /** The service's cap on a trial's wall clock (AUTODL_TRIAL_TIMEOUT_S). */
    maxTimeoutS: number;
  },
): Promise<{ outcome: TrialProcessOutcome; argv: string[]; timeoutS: number }> {
  const { study, trial, ctx } = o;
  const argv = substituteArgs(o.runner.command, trial.params);
  await ctx.log(`trial ${trial.number} in its image: ${JSON.stringify(argv)}`);
  const script = trialCommandScript(argv, { ...o.runner.env, ...trialEnv(study, trial) });
  // Renamed into place: the wrapper never runs half a script.
  const tmp = path.join(dir, `${TRIAL_FILES.command}.tmp`);
  await fs.promises.writeFile(tmp, script, { mode: 0o644 });
  await fs.promises.rename(tmp, path.join(dir, TRIAL_FILES.command));
  const timeoutS = Math.min(o.runner.timeoutS ?? Infinity, o.maxTimeoutS);
  const outcome = await superviseTrial(fileTrialRun(dir), {
    study,
    trialNumber: trial.number,
    objectives: o.objectives,
    ctx,
    timeoutS,
  });
  return { outcome, argv, timeoutS };
}

/** Asks the user container to stop, or not to start; harmless once it has exited. */
export async function stopTrialContainer(dir: string): Promise<void> {
  await fs.promises.writeFile(path.join(dir, TRIAL_FILES.stop), '').catch(() => undefined);
}

/**
 * The user container's command as a TrialRun: the output file is read from where the last read
 * ended (stdout and stderr arrive merged, so the kept "stderr" tail is the output's); the exit
 * file ends the run, after a last read of the output (the wrapper writes it once tee is done).
 */
export function fileTrialRun(dir: string, pollMs = POLL_MS): TrialRun {
  const output = path.join(dir, TRIAL_FILES.output);
  const exitFile = path.join(dir, TRIAL_FILES.exit);
  let stopDeadline = Infinity;
  return {
    start(sink) {
      let offset = 0;
      const decoder = new TextDecoder('utf-8');
      const drain = async () => {
        const handle = await fs.promises.open(output, 'r').catch(() => null);
        if (!handle) return;
        try {
          const buf = Buffer.alloc(64 * 1024);
          for (;;) {
            const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            const chunk = decoder.decode(buf.subarray(0, bytesRead), { stream: true });
            sink.stdout(chunk);
            sink.stderr(chunk);
          }
        } finally {
          await handle.close();
        }
      };
      const tick = async () => {
        const exit = await fs.promises.readFile(exitFile, 'utf8').catch(() => null);
        await drain();
        if (exit !== null) return ended(parseExitCode(exit));
        if (Date.now() > stopDeadline)
          return sink.end(null, null, new Error('the trial container did not report its exit'));
        setTimeout(() => void tick().catch(fail), pollMs);
      };
      const ended = (code: number | null) => {
        // sh reports a process killed by signal n as 128 + n, as Node reports (null, name).
        const signal =
          code !== null && code > 128
            ? (Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0] ?? null)
            : null;
        sink.end(signal ? null : code, signal);
      };
      const fail = (e: Error) => sink.end(null, null, e);
      void tick().catch(fail);
    },
    stop() {
      stopDeadline = Date.now() + STOP_WAIT_MS;
      void stopTrialContainer(dir);
    },
  };
}
