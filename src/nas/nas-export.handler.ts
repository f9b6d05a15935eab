/**
 * Job kind `nas-export` (what `POST /v1/nas/:id/export` queues): trains one architecture of a
 * finished NAS job from scratch on the data set's train + validation splits (the search held
 * out part of them to rank candidates; the final model uses all of them, as NAS papers retrain
 * the found cell) and registers it, evaluated on the untouched test split, with lineage to the
 * data set and the NAS job.
 * Spec: { nasJob, trial: number | 'best', epochs?, batchSize?, learningRate?, seed?, name? }.
 */
import { Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { DataSource } from 'typeorm';
import { normalisationStats, Vocabulary } from '../ml/data';
import { EpochMetrics, trainModel } from '../ml/train/trainer';
import { splitsOf } from '../models/core/dataset-codec';
import { datasetTensors, InputContract } from '../models/core/encode';
import { DatasetsService } from '../models/datasets.service';
import { ModelsService } from '../models/models.service';
import { TfRuntime } from '../models/tf-runtime';
import { evaluateOn, reportEpoch } from '../models/training-support';
import {
  FieldProblem,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import { JobCancelledError, JobContext, JobHandler } from '../platform/jobs/job-handler';
import { JobEntity } from '../platform/jobs/job.entity';
import { NasJobResult, TrialSummary } from './core/nas-report';
import { NAS_JOB_DEFAULTS, NasJobSpec } from './core/nas-spec';
import { createArchitectureSpace } from './core/spaces/space-registry';

export const NAS_EXPORT_DEFAULTS = { epochs: 5, maxEpochs: 1000, textMaxWords: 10_000 };

export interface NasExportSpec {
  nasJob: string;
  trial: number | 'best';
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  name?: string;
}

const KEYS = ['nasJob', 'trial', 'epochs', 'batchSize', 'learningRate', 'seed', 'name'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function validateNasExportSpec(raw: unknown): NasExportSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw ValidationError.field('spec', 'must be an object');
  const s = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const bad = (field: string, message: string): void => void problems.push({ field, message });
  for (const k of Object.keys(s))
    if (!KEYS.includes(k)) bad(k, `unknown key (known: ${KEYS.join(', ')})`);
  if (typeof s.nasJob !== 'string' || !UUID.test(s.nasJob)) bad('nasJob', 'must be a job id');
  const trial = s.trial ?? 'best';
  if (trial !== 'best' && !(typeof trial === 'number' && Number.isInteger(trial) && trial >= 0))
    bad('trial', `must be a trial number (>= 0) or "best", got ${JSON.stringify(trial)}`);
  const int = (key: string, def: number, lo: number, hi: number): number => {
    const v = s[key] ?? def;
    if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) return v;
    bad(key, `must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return def;
  };
  const epochs = int('epochs', NAS_EXPORT_DEFAULTS.epochs, 1, NAS_EXPORT_DEFAULTS.maxEpochs);
  const batchSize = int('batchSize', NAS_JOB_DEFAULTS.batchSize, 1, 65536);
  const seed = int('seed', NAS_JOB_DEFAULTS.seed, 0, 2 ** 31 - 1);
  const learningRate = s.learningRate ?? NAS_JOB_DEFAULTS.learningRate;
  if (!(typeof learningRate === 'number' && learningRate > 0 && learningRate < 10))
    bad('learningRate', `must be a number in (0, 10), got ${JSON.stringify(learningRate)}`);
  if (s.name !== undefined && (typeof s.name !== 'string' || !MODEL_NAME.test(s.name)))
    bad('name', 'must be 1-100 letters, digits, ".", "_" or "-" starting with a letter or digit');
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return {
    nasJob: s.nasJob as string,
    trial: trial as number | 'best',
    epochs,
    batchSize,
    learningRate: learningRate as number,
    seed,
    ...(s.name !== undefined && { name: s.name as string }),
  };
}

/** The finished NAS job of the project and the chosen trial (NotFound / 422 otherwise). */
export async function chosenTrial(
  db: DataSource,
  projectId: string,
  nasJob: string,
  trial: number | 'best',
  readTrials: () => Promise<TrialSummary[]>,
): Promise<{ job: JobEntity; result: NasJobResult; trial: TrialSummary }> {
  const job = await db.getRepository(JobEntity).findOneBy({ id: nasJob, projectId, kind: 'nas' });
  if (!job) throw new NotFoundError('nas job', nasJob);
  if (job.status !== 'succeeded' || !job.result)
    throw new UnprocessableError(`NAS job ${nasJob} is ${job.status}, not succeeded`, [
      { field: 'nasJob', message: 'the search has not finished' },
    ]);
  const result = job.result as NasJobResult;
  if (trial === 'best') {
    if (!result.best)
      throw new UnprocessableError('the search found no feasible architecture', [
        { field: 'trial', message: 'no best trial' },
      ]);
    return { job, result, trial: result.best };
  }
  const found = (await readTrials()).find((t) => t.number === trial);
  if (!found || found.state !== 'complete')
    throw new UnprocessableError(`trial ${trial} is not a complete trial of NAS job ${nasJob}`, [
      { field: 'trial', message: found ? `trial is ${found.state}` : 'no such trial' },
    ]);
  return { job, result, trial: found };
}

@Injectable()
export class NasExportHandler implements JobHandler<NasExportSpec, Record<string, unknown>> {
  readonly kind = 'nas-export';

  constructor(
    private readonly db: DataSource,
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
      this.db,
      ctx.projectId,
      spec.nasJob,
      spec.trial,
      async () => JSON.parse((await ctx.readArtifact(spec.nasJob, 'trials.json')).toString('utf8')),
    );
    const nasSpec = job.spec as NasJobSpec;
    const stored = await this.datasets.load(ctx.projectId, nasSpec.dataset);
    const { test } = splitsOf(stored);
    const train = stored.dataset.select([...stored.split.train, ...stored.split.validation]);
    const inputs = train.inputs;
    const vocabulary =
      inputs.kind === 'text'
        ? Vocabulary.build(inputs.texts, { maxWords: NAS_EXPORT_DEFAULTS.textMaxWords })
        : undefined;
    // The search sized the text space's embedding to its own vocabulary; retraining on more
    // texts builds a larger one, so the space is re-created with this vocabulary's size.
    const space = createArchitectureSpace({
      ...result.space.config,
      type: result.space.type,
      ...(vocabulary && { vocabSize: vocabulary.size }),
    });
    const encoding = space.validate(trial.encoding);
    const contract: InputContract = {
      inputKind: train.kind,
      inputShape:
        inputs.kind === 'image'
          ? [inputs.shape.height, inputs.shape.width, inputs.shape.channels]
          : inputs.kind === 'tabular'
            ? [inputs.featureNames.length]
            : [nasSpec.sequenceLength],
      featureNames: inputs.kind === 'tabular' ? [...inputs.featureNames] : null,
      preprocessing:
        inputs.kind === 'tabular'
          ? { normalise: { ...normalisationStats(train) } }
          : inputs.kind === 'text'
            ? { sequenceLength: nasSpec.sequenceLength }
            : {},
    };
    const model = space.compile(encoding, {
      inputShape: contract.inputShape,
      numClasses: train.numClasses,
      seed: spec.seed,
    });
    // datasetTensors applies the contract's normalisation itself.
    const trainSet = datasetTensors(train, contract, vocabulary);
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
