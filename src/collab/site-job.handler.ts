/**
 * Job kind `federation-site` (compute lane): one piece of work (train or evaluate) of one round
 * attempt for a local site, each site in its own job so the sites of a round run in parallel on
 * the worker pool (or as the pods of one Indexed Job on Kubernetes). The job takes its item the
 * way the remote agent does, in process against the site-work table (same items, same
 * SiteTrainer), so the three placements share one protocol: it receives the global state of
 * its item and answers with its share only. It loads its own data set by id; the coordinator never hands it examples.
 *
 * A crashed site job is a failed child (max 1 attempt): the coordinator sees it, counts the site
 * as failed for the round and applies the quorum rule (docs/collab.md). Answers already written
 * by other site jobs stay in the table, so nothing finished is lost.
 */
import { Inject, Injectable } from '@nestjs/common';
import { splitsOf } from '../datasets/core/dataset-codec';
import { TfRuntime } from '../ml/tf-runtime';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { UnprocessableError } from '../platform/errors/domain-error';
import { JobCancelledError, type JobContext, type JobHandler } from '../platform/jobs/job-handler';
import { MODEL_REGISTRY, type TrainingRegistryPort } from '../registry/model-registry.port';
import { collabConfigOf, type CollabConfig } from './collab-config';
import { decodeWithControl, encodeWithControl } from './federation-checkpoint';
import type { RemoteModelTask } from './remote-placement';
import { siteJobSpec, type SiteJobSpec } from './site-job.schema';
import { SiteTrainer, type SiteWorkView } from './site-trainer';
import { statsBuffer } from './pooled-placement';
import { SiteWorkRepository } from './storage/site-work.repository';

export interface SiteJobResult {
  sites: { site: string; items: number }[];
}

@Injectable()
export class FederationSiteHandler implements JobHandler<SiteJobSpec, SiteJobResult> {
  readonly kind = 'federation-site';
  readonly lane = 'compute' as const;
  private readonly config: CollabConfig;

  constructor(
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
    private readonly work: SiteWorkRepository,
    private readonly tfRuntime: TfRuntime,
    @Inject(APP_CONFIG) appConfig: AppConfig,
  ) {
    this.config = collabConfigOf(appConfig);
  }

  validate(raw: unknown): SiteJobSpec {
    return siteJobSpec.parse(raw);
  }

  async run(spec: SiteJobSpec, ctx: JobContext): Promise<SiteJobResult> {
    await this.tfRuntime.ready();
    const mine = sitesOfThisPod(spec.sites, this.config.completionIndex);
    const out: SiteJobResult['sites'] = [];
    // Several sites in one job without an index (an Indexed Job's spec run by a pool worker):
    // one after another, still one protocol.
    for (const site of mine) out.push({ site, items: await this.serve(spec, site, ctx) });
    return { sites: out };
  }

  private async serve(spec: SiteJobSpec, site: string, ctx: JobContext): Promise<number> {
    const datasetId = await this.work.localSiteDataset(ctx.projectId, spec.federationId, site);
    if (!datasetId)
      throw new UnprocessableError(
        `federation ${spec.federationId} of this project has no local site ${site}`,
      );
    const binding = { federationId: spec.federationId, projectId: ctx.projectId, site };
    let trainer: SiteTrainer | undefined;
    try {
      if (ctx.cancelled) throw new JobCancelledError();
      const item = await this.work.takeScoped(spec.federationId, site, {
        round: spec.round,
        attempt: spec.attempt,
        kind: spec.work,
      });
      if (!item) {
        await ctx.log(`site ${site}: no ${spec.work} work waiting (answered or expired)`);
        return 0;
      }
      const task = item.task as SiteWorkView['task'];
      const shared = (task.model as RemoteModelTask).sharedDataset;
      trainer = new SiteTrainer(
        {
          ...splitsOf(await this.registry.loadSplits(ctx.projectId, datasetId)),
          // The federation's shared labelled set: a data set of this project, read like the site's.
          ...(shared && item.kind === 'train'
            ? { shared: splitsOf(await this.registry.loadSplits(ctx.projectId, shared)).train }
            : {}),
        },
        () => ctx.cancelled,
        // SCAFFOLD's c_i: a row per (federation, site), read by whichever job trains the site next.
        this.work.controlStore(spec.federationId, site),
      );
      const state = decodeWithControl(
        item.globalState,
        (task.model as RemoteModelTask).sizes,
        item.kind === 'train' && task.plan?.scaffold === true,
      );
      const answer = await trainer.answer({
        kind: item.kind,
        round: item.round,
        attempt: item.attempt,
        task,
        global: state.weights,
        ...(state.control ? { control: state.control } : {}),
      });
      const accepted = await this.work.complete(
        item.id,
        binding,
        answer.stats
          ? statsBuffer(answer.stats)
          : answer.weights
            ? encodeWithControl(answer.weights, answer.controlDelta)
            : null,
        answer.report,
        answer.confusion ?? null,
      );
      await ctx.log(
        item.kind === 'train'
          ? `site ${site}, round ${spec.round + 1} (attempt ${spec.attempt}): trained on ${trainer.samples} examples${accepted ? '' : '; the coordinator had stopped waiting'}`
          : item.kind === 'stats'
            ? `site ${site}: per-class feature statistics of its ${answer.report.samples} training examples under the final global model`
            : `site ${site}: evaluated the global model of round ${spec.round + 1}`,
      );
      return 1;
    } finally {
      trainer?.dispose();
    }
  }
}

/** The sites this process trains: the one at its Indexed Job completion index, or all. */
export function sitesOfThisPod(sites: readonly string[], index: number | null): string[] {
  if (index === null) return [...sites];
  if (index >= sites.length)
    throw new UnprocessableError(
      `JOB_COMPLETION_INDEX ${index} is past the job's ${sites.length} sites`,
    );
  return [sites[index]];
}
