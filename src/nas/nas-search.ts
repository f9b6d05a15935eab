/**
 * The `nas` job's work, start to end (NasJobHandler runs it; so does runNas, in memory): resolve
 * the space against the data set, open the job's study, keep `budget.parallelism` candidates in
 * flight as `nas-trial` jobs with the loop of the command-runner studies (TrialJobDriver: budget
 * of trials and time, cancel, reconcile after a re-queue, so finished trials are never re-run),
 * report each finished trial, and build the result from the study's trials.
 */
import { JobContext } from '../platform/jobs/job-handler';
import { Study } from '../search/core/study';
import { DriveOutcome, TrialJobDriver } from '../search/handlers/trial-job-driver';
import { NasTrialRecord } from './core/candidate';
import { staticConstraintRejecter } from './core/feasibility';
import { describeTrial } from './core/nas-report';
import { NasResult, nasResultOfStudy, trialRecordOf } from './core/nas-summary';
import { NasJobSpec } from './core/nas-spec';
import { ArchitectureSpace } from './core/spaces/architecture-space';
import { NasModelPort } from './nas-model.port';
import { trialMetrics } from './nas-publish';
import { loadNasData, resolveNasSpace } from './nas-setup';
import {
  NasStudyRows,
  SeededNasSpec,
  loadNasStudy,
  openNasStudy,
  seedNasSpec,
} from './nas-studies';

export interface NasSearchRun {
  spec: SeededNasSpec;
  space: ArchitectureSpace;
  study: Study;
  /** The study row's creation time (the time budget runs from it). */
  createdAt: Date;
  /** The data's input shape and class count (static constraints are measured at it). */
  shape: { inputShape: number[]; numClasses: number };
  /** The search so far; `stoppedBy` as the caller saw the drive end. */
  result(stoppedBy: NasResult['stoppedBy']): Promise<NasResult>;
}

export interface NasSearchOptions {
  /** After each newly finished trial's metrics and log line. */
  onTrial?: (record: NasTrialRecord) => void | Promise<void>;
  /** The driver's poll interval (default TrialJobDriver's). */
  pollMs?: number;
}

export class NasSearch {
  constructor(
    private readonly port: NasModelPort,
    private readonly rows: NasStudyRows,
    private readonly driver: TrialJobDriver,
  ) {}

  /** Opens (or, on a later attempt, finds) the job's study; nothing is trained yet. */
  async open(raw: NasJobSpec, ctx: JobContext): Promise<NasSearchRun> {
    const spec = await seedNasSpec(this.rows, ctx, raw);
    const data = await loadNasData(this.port, ctx.projectId, spec);
    let resolved: ReturnType<typeof resolveNasSpace>;
    const shape = { inputShape: data.inputShape, numClasses: data.numClasses };
    try {
      resolved = resolveNasSpace(spec, data);
    } finally {
      data.dispose();
    }
    const opened = await openNasStudy(this.rows, ctx, spec, resolved.json);
    await ctx.log(
      opened.resumed
        ? `NAS: resuming study ${opened.id} (attempt ${ctx.attempt})`
        : `NAS: ${resolved.space.type} space, ${spec.strategy.name}, ${spec.budget.trials} trials x ${spec.budget.epochsPerTrial} epochs, ${spec.budget.parallelism} in parallel, seed ${spec.seed}`,
    );
    const { study } = await loadNasStudy(this.rows, ctx.projectId, opened.id);
    return {
      spec,
      space: resolved.space,
      study,
      createdAt: opened.createdAt,
      shape,
      result: (stoppedBy) => nasResultOfStudy(study, spec.objective, stoppedBy),
    };
  }

  /**
   * Runs the study to its budget; throws JobCancelledError when the job is cancelled. Candidates
   * over a static (params / FLOPs) budget are re-drawn before they become trials.
   */
  async drive(run: NasSearchRun, ctx: JobContext, o: NasSearchOptions = {}): Promise<DriveOutcome> {
    const { spec, space, study } = run;
    const reject = staticConstraintRejecter(space, spec.constraints, run.shape);
    const seen = new Set<number>();
    return this.driver.drive({
      study,
      ctx,
      trialKind: 'nas-trial',
      nTrials: spec.budget.trials,
      timeoutMs: spec.budget.timeoutMs ?? null,
      parallelism: spec.budget.parallelism,
      createdAt: run.createdAt,
      pollMs: o.pollMs,
      ...(reject && { ask: () => study.askFromSpace(undefined, { reject }) }),
      onPoll: async (counts) => {
        // Metrics and a log line per newly finished trial.
        if (counts.complete + counts.pruned + counts.failed === seen.size) return;
        for (const t of await study.trials(['complete', 'pruned', 'failed'])) {
          if (seen.has(t.number)) continue;
          seen.add(t.number);
          const r = trialRecordOf(t);
          await trialMetrics(ctx, r);
          await ctx.log(describeTrial(r, t.systemAttrs.rejected_draws));
          await o.onTrial?.(r);
        }
      },
    });
  }
}
