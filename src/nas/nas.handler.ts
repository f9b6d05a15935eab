/**
 * Job kind `nas`: a neural architecture search on a registered data set (what `POST /v1/nas`
 * queues; spec in nas-spec.ts). The job is the driver: it resolves the space against the data
 * set, opens the job's study in PostgreSQL (nas-study.ts) and keeps `budget.parallelism`
 * candidates in flight, each a `nas-trial` child job (nas-trial.handler.ts), with the loop of
 * the command-runner studies (TrialJobDriver: budget of trials and time, cancel, reconcile after
 * a re-queue, so finished trials are never re-run). At the end it writes the leaderboard, the
 * Pareto front (JSON and PNG) and the best trial from the study's trials (nas-result.ts).
 */
import { DataSource } from 'typeorm';
import { JobContext, JobHandler, SpecReference } from '../platform/jobs/job-handler';
import { JobsService } from '../platform/jobs/jobs.service';
import { Study } from '../search/core/study';
import { TrialCounts, TrialJobDriver } from '../search/handlers/trial-job-driver';
import { NasModelPort } from './nas-model.port';
import { NasJobResult, describeTrial } from './core/nas-report';
import { nasResultOfStudy, trialRecordOf } from './core/nas-summary';
import { publishNasResult, trialMetrics } from './nas-publish';
import { loadNasData, resolveNasSpace } from './nas-setup';
import { NasJobSpec, validateNasSpec } from './core/nas-spec';
import { staticConstraintRejecter } from './core/feasibility';
import { loadNasStudy, openNasStudy, seedNasSpec } from './nas-study';

export class NasJobHandler implements JobHandler<NasJobSpec, NasJobResult> {
  readonly kind = 'nas';
  readonly references: readonly SpecReference[] = [{ field: 'dataset', kind: 'dataset' }];
  readonly lane = 'coordinator' as const;
  private readonly driver: TrialJobDriver;

  constructor(
    private readonly port: NasModelPort,
    private readonly db: DataSource,
    jobs: JobsService,
  ) {
    this.driver = new TrialJobDriver(db, jobs);
  }

  validate(spec: unknown): NasJobSpec {
    return validateNasSpec(spec);
  }

  async run(raw: NasJobSpec, ctx: JobContext): Promise<NasJobResult> {
    const spec = await seedNasSpec(this.db, ctx, raw);
    const data = await loadNasData(this.port, ctx.projectId, spec);
    let resolved: ReturnType<typeof resolveNasSpace>;
    const shape = { inputShape: data.inputShape, numClasses: data.numClasses };
    try {
      resolved = resolveNasSpace(spec, data);
    } finally {
      data.dispose();
    }
    const opened = await openNasStudy(this.db, ctx, spec, resolved.json);
    await ctx.log(
      opened.resumed
        ? `NAS: resuming study ${opened.id} (attempt ${ctx.attempt})`
        : `NAS: ${resolved.space.type} space, ${spec.strategy.name}, ${spec.budget.trials} trials x ${spec.budget.epochsPerTrial} epochs, ${spec.budget.parallelism} in parallel, seed ${spec.seed}`,
    );
    const { study } = await loadNasStudy(this.db, ctx.projectId, opened.id);
    const reject = staticConstraintRejecter(resolved.space, spec.constraints, shape);
    const seen = new Set<number>();
    const outcome = await this.driver.drive({
      study,
      ctx,
      trialKind: 'nas-trial',
      nTrials: spec.budget.trials,
      timeoutMs: spec.budget.timeoutMs ?? null,
      parallelism: spec.budget.parallelism,
      createdAt: opened.createdAt,
      ...(reject && { ask: () => study.askFromSpace(undefined, { reject }) }),
      onPoll: (counts) => this.reportFinished(study, ctx, counts, seen),
    });
    const result = await nasResultOfStudy(
      study,
      spec.objective,
      outcome.timedOut ? 'timeout' : 'completed',
    );
    return publishNasResult(ctx, resolved.space, spec, result);
  }

  /** Metrics and a log line per newly finished trial. */
  private async reportFinished(
    study: Study,
    ctx: JobContext,
    counts: TrialCounts,
    seen: Set<number>,
  ): Promise<void> {
    if (counts.complete + counts.pruned + counts.failed === seen.size) return;
    for (const t of await study.trials(['complete', 'pruned', 'failed'])) {
      if (seen.has(t.number)) continue;
      seen.add(t.number);
      const r = trialRecordOf(t);
      await trialMetrics(ctx, r);
      await ctx.log(describeTrial(r, t.systemAttrs.rejected_draws));
    }
  }
}
