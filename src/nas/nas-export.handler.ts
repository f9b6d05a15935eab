/**
 * Job kind `nas-export` (what `POST /v1/nas/:id/export` queues; spec in core/nas-export-spec.ts):
 * trains one architecture of a finished NAS job from scratch on the data set's train +
 * validation splits (nas-export-inputs.ts) and registers it, evaluated on the untouched test
 * split, with lineage to the data set and the NAS job.
 */
import { Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { EpochMetrics, trainModel } from '../ml/train/trainer';
import { DatasetsService } from '../models/datasets.service';
import { ModelsService } from '../models/models.service';
import { TfRuntime } from '../models/tf-runtime';
import { evaluateOn, reportEpoch } from '../models/training-support';
import { JobCancelledError, JobContext, JobHandler } from '../platform/jobs/job-handler';
import { JobsService } from '../platform/jobs/jobs.service';
import { NasExportSpec, validateNasExportSpec } from './core/nas-export-spec';
import { NasJobSpec } from './core/nas-spec';
import { exportInputs } from './nas-export-inputs';
import { chosenTrial, findJob } from './nas-export-trial';

@Injectable()
export class NasExportHandler implements JobHandler<NasExportSpec, Record<string, unknown>> {
  readonly kind = 'nas-export';

  constructor(
    private readonly jobs: JobsService,
    private readonly datasets: DatasetsService,
    private readonly models: ModelsService,
    private readonly tfRuntime: TfRuntime,
  ) {}

  validate(spec: unknown): NasExportSpec {
    return validateNasExportSpec(spec);
  }

  async run(spec: NasExportSpec, ctx: JobContext): Promise<Record<string, unknown>> {
    const backend = await this.tfRuntime.ready();
    const done = await this.models.findByJob(ctx.projectId, ctx.jobId);
    if (done) return { modelId: done.id, backend, resumed: true };
    const { job, result, trial } = await chosenTrial(
      await findJob(this.jobs, ctx, spec.nasJob),
      spec.nasJob,
      spec.trial,
      async () => JSON.parse((await ctx.readArtifact(spec.nasJob, 'trials.json')).toString('utf8')),
    );
    const nasSpec = job.spec as NasJobSpec;
    const stored = await this.datasets.load(ctx.projectId, nasSpec.dataset);
    const { train, test, vocabulary, contract, model, trainSet } = exportInputs(
      stored,
      { spec: nasSpec, result, trial },
      spec.seed,
    );
    try {
      await ctx.log(
        `exporting trial ${trial.number} of NAS job ${spec.nasJob}: ${spec.epochs} epochs on ${train.size} examples (train + validation)`,
      );
      const history: EpochMetrics[] = [];
      const trained = await trainModel(model, trainSet, {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        learningRate: spec.learningRate,
        seed: spec.seed,
        shouldStop: () => ctx.cancelled,
        onEpochEnd: async (m) => {
          history.push(m);
          await reportEpoch(ctx, { ...m }, spec.epochs, { from: 0, to: 0.95 });
        },
      });
      if (trained.stoppedBy === 'cancelled') throw new JobCancelledError();
      const evaluation = evaluateOn(model, test, contract, vocabulary);
      const entity = await this.models.registerFromJob(ctx, model, {
        name: spec.name ?? `nas-${result.space.type}-t${trial.number}-${ctx.jobId.slice(0, 8)}`,
        architecture: `nas:${result.space.type}`,
        inputKind: train.kind,
        classNames: [...train.classNames],
        featureNames: contract.featureNames ? [...contract.featureNames] : null,
        preprocessing: contract.preprocessing,
        vocabulary,
        datasetId: nasSpec.dataset,
        method: 'nas',
        metrics: {
          history,
          nasJob: spec.nasJob,
          trial: trial.number,
          encoding: trial.encoding,
          searchAccuracy: trial.accuracy ?? null,
          backend,
        },
        evaluation: evaluation ? { ...evaluation } : null,
      });
      await ctx.progress(1, `registered model ${entity.name}`);
      return {
        modelId: entity.id,
        modelName: entity.name,
        trial: trial.number,
        encoding: trial.encoding,
        epochs: history.length,
        params: Number(entity.params),
        flops: entity.flops,
        final: history[history.length - 1] ?? null,
        testAccuracy: evaluation?.accuracy ?? null,
        backend,
      };
    } finally {
      tf.dispose([trainSet.x, trainSet.y]);
      model.dispose();
    }
  }
}
