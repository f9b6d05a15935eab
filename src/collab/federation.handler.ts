import { Inject, Injectable } from '@nestjs/common';
import { splitsOf } from '../datasets/core/dataset-codec';
import { TfRuntime } from '../ml/tf-runtime';
import {
  JobCancelledError,
  type JobContext,
  type JobHandler,
  type SpecReference,
} from '../platform/jobs/job-handler';
import { MODEL_REGISTRY, type TrainingRegistryPort } from '../registry/model-registry.port';
import { makeAlgorithm } from './core/algorithms';
import { DEFAULT_SCREENING } from './core/robust-aggregation';
import { federationPlacement, federationSpec, type FederationSpec } from './federation.schema';
import { FederationCancelled, runFederationLoop } from './federation-run';
import { publishFederation } from './federation-publish';
import {
  decodeWeights,
  encodeWeights,
  isFederationCheckpoint,
  GLOBAL_WEIGHTS_ARTIFACT,
  SERVER_CONTROL_ARTIFACT,
} from './federation-checkpoint';
import {
  checkSharedSet,
  sharedSetBytes,
  LocalPlacement,
  sharedImageContract,
  type LocalSiteData,
} from './local-placement';
import { readWeights } from './site-training';
import { FederationsRepository } from './storage/federations.repository';
import { SiteWorkRepository } from './storage/site-work.repository';
import { MixedPlacement, RemotePlacement } from './remote-placement';
import type { SitePlacement } from './site-placement';
import { PooledPlacement } from './pooled-placement';
import { SITE_JOBS, type SiteJobs } from './site-jobs';
import { collabConfigOf, type CollabConfig } from './collab-config';
import { checkPlacements } from './placement-check';
import { buildZooModel } from '../ml/zoo/zoo';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { datasetTensors } from '../registry/core/encode';
import { serverDistillationSettings } from './core/ensemble-distillation';
import { fuser, TfDistillationStudent } from './server-distillation';
import { calibrateFederation, type CalibrationOutcome } from './federation-calibration';
import { HeadFeatures } from './head-calibration';

/**
 * `federation` (coordinator lane): collaborative learning across the sites of the spec. Local
 * sites of weight-sharing algorithms train in `federation-site` child jobs (pooled-placement.ts:
 * in parallel on the compute lane, or as Kubernetes Jobs in their placement's namespace), remote
 * sites through their agents, codistill sites inside this job. load sites -> coordinator loop
 * (rounds, screening, quorum, metering) -> register the global model with lineage to every
 * site's data set. After each round the global weights are checkpointed; a re-queued attempt
 * resumes there and adopts the site jobs and answers of the round it was in.
 */
@Injectable()
export class FederationHandler implements JobHandler<FederationSpec, Record<string, unknown>> {
  readonly kind = 'federation';
  /** The coordinator waits for its site jobs: it must never hold the compute slot they need. */
  readonly lane = 'coordinator' as const;
  private readonly config: CollabConfig;
  readonly references: readonly SpecReference[] = [
    { field: 'sites[].dataset', kind: 'dataset' },
    { field: 'publicDataset', kind: 'dataset' },
    { field: 'sharedDataset', kind: 'dataset' },
  ];

  constructor(
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
    private readonly federations: FederationsRepository,
    private readonly tfRuntime: TfRuntime,
    private readonly siteWork: SiteWorkRepository,
    @Inject(SITE_JOBS) private readonly siteJobs: SiteJobs,
    @Inject(APP_CONFIG) appConfig: AppConfig,
  ) {
    this.config = collabConfigOf(appConfig);
  }

  validate(raw: unknown): FederationSpec {
    const spec = federationSpec.parse(raw);
    checkPlacements(spec, this.config.placementNamespaces);
    return spec;
  }

  async run(spec: FederationSpec, ctx: JobContext): Promise<Record<string, unknown>> {
    const backend = await this.tfRuntime.ready();
    const data: LocalSiteData[] = [];
    for (const s of spec.sites) {
      if (s.remote || s.dataset === null) continue;
      const { train, test } = splitsOf(await this.registry.loadSplits(ctx.projectId, s.dataset));
      data.push({ name: s.name, architecture: s.architecture ?? spec.architecture, train, test });
    }
    const { contract, classNames } = sharedImageContract(data);
    const publicSet = spec.publicDataset
      ? splitsOf(await this.registry.loadSplits(ctx.projectId, spec.publicDataset)).train
      : undefined;
    // The shared labelled set must fit the sites' contract; it is read here to check that and to
    // meter what every site receives (site jobs and agents read their own copy of it).
    const sharedSet = spec.sharedDataset
      ? splitsOf(await this.registry.loadSplits(ctx.projectId, spec.sharedDataset)).train
      : undefined;
    if (sharedSet) checkSharedSet(sharedSet, contract, classNames);
    const algorithm = makeAlgorithm({ ...spec, numClasses: classNames.length });
    const rounds = algorithm.rounds(spec.epochs);
    const weightsAlgorithm = algorithm.shares === 'weights';
    // Weight-sharing algorithms train their local sites in site jobs (in parallel, on the pool
    // or as Kubernetes Jobs); codistill keeps each site's own model in this job.
    const model = weightsAlgorithm
      ? buildZooModel(spec.architecture, {
          inputShape: contract.inputShape,
          numClasses: classNames.length,
          seed: spec.seed,
          width: spec.width ?? undefined,
        })
      : undefined;
    const local = weightsAlgorithm
      ? undefined
      : new LocalPlacement(
          data,
          {
            contract,
            numClasses: classNames.length,
            width: spec.width,
            seed: spec.seed,
            batchSize: spec.batchSize,
            optimizer: spec.optimizer,
            dp: spec.dp,
            publicSet,
            shouldStop: () => ctx.cancelled,
          },
          false,
        );
    const workingModel = () => model ?? (local as LocalPlacement).workingModel();
    // FedDF: the coordinator's own model of the architecture and its public inputs (never sent).
    const distiller =
      spec.serverDistillation && publicSet && weightsAlgorithm
        ? {
            model: buildZooModel(spec.architecture, {
              inputShape: contract.inputShape,
              numClasses: classNames.length,
              seed: spec.seed,
              width: spec.width ?? undefined,
            }),
            x: datasetTensors(publicSet, contract).x,
          }
        : undefined;
    const task = {
      architecture: spec.architecture,
      width: spec.width,
      inputShape: contract.inputShape,
      classNames,
      batchSize: spec.batchSize,
      optimizer: spec.optimizer,
      sizes: readWeights(workingModel()).map((w) => w.length),
      ...(spec.sharedDataset ? { sharedDataset: spec.sharedDataset } : {}),
    };
    const timing = {
      siteTimeoutMs: spec.siteTimeoutSeconds * 1000,
      pollMs: 250,
      cancelled: () => ctx.cancelled,
    };
    const pooled = weightsAlgorithm
      ? new PooledPlacement(
          ctx.jobId,
          ctx.projectId,
          data.map((d) => ({
            name: d.name,
            samples: d.train.size,
            placement: spec.sites.find((s) => s.name === d.name)?.placement ?? null,
          })),
          this.siteWork,
          this.siteJobs,
          task,
          { ...timing, dp: spec.dp },
        )
      : undefined;
    const remoteSites = spec.sites.filter((s) => s.remote).map((s) => s.name);
    const localPart: SitePlacement = pooled ?? (local as LocalPlacement);
    const placement: SitePlacement = remoteSites.length
      ? new MixedPlacement(
          spec.sites.map((s) => s.name),
          [localPart, new RemotePlacement(ctx.jobId, remoteSites, this.siteWork, task, timing)],
        )
      : localPart;
    try {
      await this.federations.open(
        {
          id: ctx.jobId,
          projectId: ctx.projectId,
          algorithm: spec.algorithm,
          placement: federationPlacement(spec.sites),
          roundsPlanned: rounds,
          sharedDatasetId: spec.sharedDataset,
        },
        spec.sites.map((s) => ({
          name: s.name,
          datasetId: s.dataset,
          placement: s.remote ? ('remote' as const) : ('local' as const),
          architecture: s.architecture ?? spec.architecture,
          samples: data.find((d) => d.name === s.name)?.train.size ?? null,
        })),
      );
      if (remoteSites.length) await this.siteWork.expireOpen(ctx.jobId, remoteSites);
      if (sharedSet)
        await ctx.log(
          `shared labelled set: ${sharedSet.size} examples (${sharedSetBytes(sharedSet)} bytes as float32), given once to each of ${spec.sites.length} sites`,
        );
      const saved = isFederationCheckpoint(ctx.resumeFrom) ? ctx.resumeFrom : undefined;
      const resume = saved && {
        roundsDone: saved.roundsDone,
        global: weightsAlgorithm
          ? decodeWeights(await ctx.readArtifact(ctx.jobId, GLOBAL_WEIGHTS_ARTIFACT), saved.sizes)
          : undefined,
      };
      if (resume) await ctx.log(`resuming after round ${resume.roundsDone}`);
      // SCAFFOLD: the server's c is checkpointed beside the global weights.
      if (resume && algorithm.scaffold)
        algorithm.scaffold.restore(
          decodeWeights(await ctx.readArtifact(ctx.jobId, SERVER_CONTROL_ARTIFACT), saved.sizes),
        );
      const initialGlobal = weightsAlgorithm ? readWeights(workingModel()) : undefined;
      const outcome = await runFederationLoop(
        {
          algorithm,
          placement,
          rounds,
          resume: weightsAlgorithm ? resume : undefined,
          initialGlobal,
          screening: {
            normFactor: spec.normFactor,
            maxRelativeNorm: spec.maxRelativeNorm,
            // specs queued before the field existed take the default
            minRelativeNorm: spec.minRelativeNorm ?? DEFAULT_SCREENING.minRelativeNorm,
            quorum: spec.quorum,
          },
          roundRetries: spec.roundRetries,
          seed: spec.seed,
          logitsLength: publicSet ? publicSet.size * classNames.length : undefined,
          ...(distiller && spec.serverDistillation
            ? {
                fuse: fuser(
                  new TfDistillationStudent(distiller.model, distiller.x),
                  serverDistillationSettings(spec.serverDistillation),
                  spec.seed,
                ),
              }
            : {}),
        },
        {
          round: async (row, planned, global) => {
            await this.federations.recordRound(ctx.jobId, row);
            if (row.globalAccuracy !== null)
              await ctx.metric('global_accuracy', row.round, row.globalAccuracy);
            await ctx.metric('bytes_round', row.round, row.bytesUp + row.bytesDown);
            if (global) {
              const { data: bytes, sizes } = encodeWeights(global);
              await ctx.artifact(GLOBAL_WEIGHTS_ARTIFACT, bytes, 'application/octet-stream');
              if (algorithm.scaffold)
                await ctx.artifact(
                  SERVER_CONTROL_ARTIFACT,
                  encodeWeights(algorithm.scaffold.control(global)).data,
                  'application/octet-stream',
                );
              await ctx.checkpoint({ roundsDone: row.round + 1, sizes });
            }
            const acc =
              row.globalAccuracy === null
                ? ''
                : `: global accuracy ${row.globalAccuracy.toFixed(4)}`;
            const rejected = row.rejected.map((r) => `${r.site} (${r.reason})`).join(', ');
            // The job's Logs show each round (the console and `autodl jobs logs`), not only the
            // metrics: which sites were averaged, which were not and why, and what crossed.
            await ctx.log(
              `round ${row.round + 1}/${planned}${acc}; averaged ${row.accepted.join(', ') || 'none'}` +
                `${rejected ? `; rejected ${rejected}` : ''}; ${row.bytesUp + row.bytesDown} bytes exchanged`,
            );
            // The last share of progress is the registration.
            await ctx.progress(
              (row.round + 1) / (planned + 1),
              `round ${row.round + 1}/${planned}${acc}`,
            );
          },
          log: (m, level) => ctx.log(m, level),
          cancelled: () => ctx.cancelled,
        },
      );
      // CCVR (classifierCalibration): the sites' per-class feature statistics under the final
      // weights calibrate the head before the model is evaluated and registered.
      let calibration: CalibrationOutcome['summary'] | null = null;
      let published = outcome;
      if (spec.classifierCalibration === 'ccvr' && outcome.global) {
        const last = outcome.rounds.at(-1);
        const calibrated = await calibrateFederation(
          {
            placement,
            global: outcome.global,
            head: new HeadFeatures(workingModel()),
            // Its own scope, past the last round: the items are told apart from that round's.
            scope: {
              round: rounds,
              attempt: 1,
              skip: (last?.rejected ?? []).filter((r) => r.reason === 'failed').map((r) => r.site),
            },
            seed: spec.seed,
            uncalibrated: outcome.final,
          },
          (m, level) => ctx.log(m, level),
        );
        if (calibrated) {
          calibration = calibrated.summary;
          published = { ...outcome, global: calibrated.global, final: calibrated.final };
          await this.federations.recordExtraBytes(
            ctx.jobId,
            calibration.bytesUp + calibration.bytesDown,
          );
        } else
          await ctx.log(
            'classifier calibration: no site sent usable statistics; the model stays uncalibrated',
            'warn',
          );
      }
      return await publishFederation(
        { registry: this.registry, federations: this.federations },
        spec,
        ctx,
        {
          models: {
            global: workingModel,
            site: (name) => (local as LocalPlacement).siteModel(name),
          },
          outcome: published,
          calibration,
          classNames,
          rounds,
          backend,
          resumedAfterRound: weightsAlgorithm && resume ? resume.roundsDone : null,
          // A site placed in a namespace keeps its test split: it sent its confusion matrix.
          tests: data.filter((d) => !spec.sites.find((s) => s.name === d.name)?.placement),
          contract,
        },
      );
    } catch (error) {
      if (error instanceof FederationCancelled) {
        await pooled?.cancelAll();
        throw new JobCancelledError();
      }
      throw error;
    } finally {
      placement.dispose();
      model?.dispose();
      distiller?.model.dispose();
      distiller?.x.dispose();
    }
  }
}
