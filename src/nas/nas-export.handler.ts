/**
 * Job kind `nas-export` (what `POST /v1/nas/:id/export` queues; schema in nas-export.schema.ts):
 * trains one architecture of a finished NAS job from scratch on the data set's train +
 * validation splits (nas-export-inputs.ts) and registers it through the training-job use case
 * (src/transfer/training-job.ts): evaluated on the untouched test split, with lineage to the
 * data set and the NAS job.
 */
import { Inject, Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { TfRuntime } from '../ml/tf-runtime';
import { EpochMetrics, trainModel } from '../ml/train/trainer';
import { JobContext, JobHandler } from '../platform/jobs/job-handler';
import { JobsService } from '../platform/jobs/jobs.service';
import { MODEL_REGISTRY, TrainingRegistryPort } from '../registry/model-registry.port';
import {
  runTrainingJob,
  TrainedModel,
  TrainingJob,
  TrainingJobResult,
  TrainingRun,
} from '../transfer/training-job';
import { NasExportSpec } from './core/nas-export-spec';
import { NasJobSpec } from './core/nas-spec';
import { exportEntry, exportInputs } from './nas-export-inputs';
import { nasExportSpec } from './nas-export.schema';
import { chosenTrial, findJob } from './nas-export-trial';

@Injectable()
export class NasExportHandler
  implements JobHandler<NasExportSpec, TrainingJobResult>, TrainingJob<NasExportSpec>
{
  readonly kind = 'nas-export';

  constructor(
    private readonly jobs: JobsService,
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
    private readonly tfRuntime: TfRuntime,
  ) {}

  validate(spec: unknown): NasExportSpec {
    return nasExportSpec.parse(spec);
  }

  run(spec: NasExportSpec, ctx: JobContext): Promise<TrainingJobResult> {
    return runTrainingJob(this, spec, ctx, {
      registry: this.registry,
      backend: () => this.tfRuntime.ready(),
    });
  }

  async train(spec: NasExportSpec, run: TrainingRun): Promise<TrainedModel> {
    const { ctx } = run;
    const { job, result, trial } = await chosenTrial(
      await findJob(this.jobs, ctx, spec.nasJob),
      spec.nasJob,
      spec.trial,
      async () => JSON.parse((await ctx.readArtifact(spec.nasJob, 'trials.json')).toString('utf8')),
    );
    const nasSpec = job.spec as NasJobSpec;
    const stored = await this.registry.loadSplits(ctx.projectId, nasSpec.dataset);
    const inputs = exportInputs(stored, { spec: nasSpec, result, trial }, spec.seed);
    const { train, test, vocabulary, contract, model, trainSet } = inputs;
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
          await run.reportEpoch({ ...m }, spec.epochs, { from: 0, to: 0.95 });
        },
      });
      return {
        model,
        stoppedBy: trained.stoppedBy,
        history,
        resumedEpochs: 0,
        test: { dataset: test, contract, vocabulary },
        entry: exportEntry(spec, ctx.jobId, { spec: nasSpec, result, trial }, inputs, history),
        summary: (registered) => ({
          trial: trial.number,
          encoding: trial.encoding,
          params: Number(registered.params),
          flops: registered.flops,
        }),
      };
    } catch (error) {
      model.dispose();
      throw error;
    } finally {
      tf.dispose([trainSet.x, trainSet.y]);
    }
  }
}
