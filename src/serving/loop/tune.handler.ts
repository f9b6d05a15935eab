import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../../platform/errors/domain-error';
import { JobCancelledError, JobContext, JobHandler } from '../../platform/jobs/job-handler';
import { ServiceProfile } from '../core/service-profile';
import { DeploymentTuning, tuneDeployment } from '../core/tune-deployment';
import { DeploymentProfilesRepository } from './deployment-profiles.repository';
import { tuneChoiceLines, tuneStartLine } from './loop-log';
import { TuneJobSpec, tuneJobSpec } from './serving-loop.schema';

export interface TuneJobResult extends DeploymentTuning {
  deploymentId: string;
  profileId: string;
}

/**
 * Job kind `deployment-tune`: the JIZHI tuner (src/jizhi-sim/core/tune) over a deployment's
 * profile: instances, maxSize (the profiled sizes) and maxDelayMs against the SLO at the given
 * traffic (a rate, any traffic model, or a recorded trace replayed), cheapest config first; the
 * queue capacity follows from the SLO (src/serving/core/tune-deployment.ts). One progress step and
 * the cost, p99 and feasibility metrics per trial, as the `tune` kind reports.
 */
@Injectable()
export class DeploymentTuneHandler implements JobHandler<TuneJobSpec, TuneJobResult> {
  readonly kind = 'deployment-tune';

  constructor(private readonly profiles: DeploymentProfilesRepository) {}

  validate(spec: unknown): TuneJobSpec {
    return tuneJobSpec.parse(spec, '');
  }

  async run(spec: TuneJobSpec, ctx: JobContext): Promise<TuneJobResult> {
    const row = await this.profiles.byId(ctx.projectId, spec.profileId);
    if (!row) throw new NotFoundError('deployment profile', spec.profileId);
    const r = spec.request;
    const profile: ServiceProfile = {
      rows: row.rows,
      rule: row.rule,
      capacityPerInstanceRps: Math.max(...row.rows.map((x) => (x.batchSize / x.meanMs) * 1000)),
    };
    const delaysMs = r.delaysMs;
    await ctx.log(
      tuneStartLine({
        traffic: r.traffic,
        slo: r.slo,
        maxInstances: r.maxInstances,
        batchSizes: row.rows.map((x) => x.batchSize).sort((a, b) => a - b),
        delaysMs,
        profileId: row.id,
      }),
    );
    let bestSeenP99Ms = Infinity;
    const tuning = await tuneDeployment(
      {
        profile,
        traffic: r.traffic,
        slo: r.slo,
        overheads: row.overheads,
        maxInstances: r.maxInstances,
        delaysMs,
        durationS: r.durationS,
        seed: r.seed,
        ...(r.trials !== undefined ? { trials: r.trials } : {}),
      },
      {
        cancelled: () => ctx.cancelled,
        onTrial: async (rec, total) => {
          await ctx.metric('cost', rec.trial, rec.cost);
          if (rec.p99Ms < bestSeenP99Ms) bestSeenP99Ms = rec.p99Ms;
          if (Number.isFinite(rec.p99Ms)) await ctx.metric('p99Ms', rec.trial, rec.p99Ms);
          await ctx.metric('feasible', rec.trial, rec.feasible ? 1 : 0);
          await ctx.progress((rec.trial + 1) / total, `trial ${rec.trial + 1}/${total}`);
        },
      },
    );
    if (ctx.cancelled) throw new JobCancelledError();
    for (const line of tuneChoiceLines(tuning, bestSeenP99Ms))
      await ctx.log(line, tuning.config ? 'info' : 'warn');
    await ctx.progress(
      1,
      tuning.config
        ? `${tuning.config.instances} instance(s), maxSize ${tuning.config.batch.maxSize}, maxDelayMs ${tuning.config.batch.maxDelayMs}`
        : 'no configuration met the SLO',
    );
    return { ...tuning, deploymentId: spec.deployment.id, profileId: spec.profileId };
  }
}
