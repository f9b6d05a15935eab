import { Inject, Injectable } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BackendPreference } from '../../ml/backend';
import { saveModelToBuffers } from '../../ml/io/buffers';
import { writeModelBuffers } from '../../ml/io/directory';
import { APP_CONFIG, type AppConfig } from '../../platform/config/app-config';
import { JobCancelledError, JobContext, JobHandler } from '../../platform/jobs/job-handler';
import { ModelsService } from '../../registry/models.service';
import { ProfileRow, profileRule } from '../core/service-profile';
import {
  DeploymentConfig,
  ServingOverheads,
  eventLoopCapacityRps,
  servedCapacityRps,
  servingPipeline,
} from '../core/serving-pipeline';
import type { PipelineSpec } from '../../jizhi-sim/core/pipeline';
import { DeploymentRuntime } from '../runtime/deployment-runtime';
import { DeploymentProfilesRepository } from './deployment-profiles.repository';
import { overheadsLine, profileRowLine } from './loop-log';
import { measureOverheads, profileRuntime } from './runtime-measurements';
import { ProfileJobSpec, profileJobSpec, profileOptions } from './serving-loop.schema';

export interface ProfileJobResult {
  profileId: string;
  deploymentId: string;
  backend: string;
  rule: string;
  /** Per batch size: samples, mean, p50, p99 and the p99's relative CI (latencies in the table). */
  rows: (Omit<ProfileRow, 'latenciesMs'> & { samples: number })[];
  overheads: ServingOverheads;
  capacityPerInstanceRps: number;
  /** The API's event loop's capacity at the config's maxSize (null: no request path measured). */
  eventLoopCapacityRps: number | null;
  /**
   * What the config serves through the API at most: the smaller of its instances' capacity at
   * full batches (instances x maxSize / mean(maxSize)) and the event loop's.
   */
  capacityRps: number | null;
  /** The simulator's pipeline of the deployment as configured, from this profile. */
  pipeline: PipelineSpec;
}

/**
 * Job kind `deployment-profile`: measures the service time per batch size of a deployment's
 * model on this host. The job's worker starts its own DeploymentRuntime on the model with the
 * deployment's instance count (the instances share the host as when serving), profiles it
 * through its batcher (src/serving/loop/runtime-measurements.ts: warm-up, then until the p99's
 * bootstrap CI is within the target), measures the overheads the simulator's stage models, and
 * stores the profile in `deployment_profiles`. The serving deployment is not touched; it shares
 * the host's cores meanwhile, so profile before traffic or expect both to slow down.
 */
@Injectable()
export class DeploymentProfileHandler implements JobHandler<ProfileJobSpec, ProfileJobResult> {
  readonly kind = 'deployment-profile';

  constructor(
    private readonly models: ModelsService,
    private readonly profiles: DeploymentProfilesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  validate(spec: unknown): ProfileJobSpec {
    return profileJobSpec.parse(spec, '');
  }

  async run(spec: ProfileJobSpec, ctx: JobContext): Promise<ProfileJobResult> {
    const { deployment, options } = spec;
    const dir = await mkdtemp(path.join(tmpdir(), 'autodl-profile-'));
    let rt: DeploymentRuntime | undefined;
    try {
      const loaded = await this.models.load(ctx.projectId, deployment.modelId);
      await writeModelBuffers(dir, await saveModelToBuffers(loaded.model));
      loaded.model.dispose();
      const c = deployment.config;
      const maxSize = Math.max(...options.batchSizes);
      rt = await DeploymentRuntime.start({
        modelDir: dir,
        instances: c.instances,
        batch: { maxSize: c.batch.maxSize, maxDelayMs: c.batch.maxDelayMs },
        queue: { capacity: Math.max(64, 4 * maxSize * c.instances), timeoutMs: 600_000 },
        backend: (options.backend ?? this.config.tfBackend) as BackendPreference,
      });
      await ctx.progress(0.02, `${c.instances} instance(s) started (${rt.metrics().backend})`);
      const opts = profileOptions(options);
      await ctx.log(
        `${c.instances} instance(s) on ${rt.metrics().backend}, batch sizes ${opts.batchSizes.join(', ')}: ${profileRule(opts)}`,
      );
      const profile = await profileRuntime(rt, opts, {
        cancelled: () => ctx.cancelled,
        onProgress: (f, message) => ctx.progress(0.02 + 0.9 * f, message),
        onRow: (r) => ctx.log(profileRowLine(r, opts.targetRelCi), r.converged ? 'info' : 'warn'),
      });
      for (const r of profile.rows) await ctx.metric('p99Ms', r.batchSize, r.p99Ms);
      await ctx.progress(0.93, 'measuring the timer and reply overheads under load');
      const overheads = {
        ...(await measureOverheads(rt, profile)),
        ...(spec.requestPath && { requestPath: spec.requestPath }),
      };
      const loopCapacity = eventLoopCapacityRps(overheads, c.batch.maxSize);
      await ctx.log(overheadsLine(overheads, profile.capacityPerInstanceRps, loopCapacity));
      const backend = rt.metrics().backend;
      const profiledConfig: DeploymentConfig = {
        instances: c.instances,
        batch: c.batch,
        queue: c.queue,
      };
      await this.profiles.save({
        id: ctx.jobId,
        projectId: ctx.projectId,
        deploymentId: deployment.id,
        modelId: deployment.modelId,
        rows: profile.rows,
        rule: profile.rule,
        overheads,
        profiledConfig,
        backend,
      });
      const covered = profile.rows.some((r) => r.batchSize >= c.batch.maxSize);
      await ctx.progress(1, `profiled ${profile.rows.length} batch sizes`);
      return {
        profileId: ctx.jobId,
        deploymentId: deployment.id,
        backend,
        rule: profile.rule,
        rows: profile.rows.map(({ latenciesMs, ...r }) => ({ ...r, samples: latenciesMs.length })),
        overheads,
        capacityPerInstanceRps: profile.capacityPerInstanceRps,
        eventLoopCapacityRps: Number.isFinite(loopCapacity) ? loopCapacity : null,
        capacityRps: covered ? servedCapacityRps(profile, profiledConfig, overheads) : null,
        pipeline: servingPipeline(
          profile,
          covered ? profiledConfig : { ...profiledConfig, batch: { ...c.batch, maxSize } },
          overheads,
        ),
      };
    } catch (e) {
      if (ctx.cancelled) throw new JobCancelledError();
      throw e;
    } finally {
      await rt?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
}
