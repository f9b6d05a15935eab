import { Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { Dataset, ImageAugmenter } from '../ml/data';
import { checkpointSlot, readModelCheckpoint, storeModelCheckpoint } from '../ml/io/checkpoint';
import { Rng } from '../platform/core/rng';
import { ValidationError } from '../platform/errors/domain-error';
import {
  JobCancelledError,
  JobContext,
  JobHandler,
  SpecReference,
} from '../platform/jobs/job-handler';
import { validateFinetuneConfig } from './core/finetune-config';
import { finetune, FinetuneCheckpoint, FinetuneEpochMetrics } from './finetune';
import { splitsOf } from '../datasets/core/dataset-codec';
import { DynamicsRecorder, SampleRecords } from './core/dynamics-recorder';
import { checkDatasetFits, datasetTensors } from '../registry/core/encode';
import { FinetuneSpec, validateFinetuneSpec } from './core/training-specs';
import { DatasetsService } from '../datasets/datasets.service';
import { contractOf, ModelsService } from '../registry/models.service';
import { TfRuntime } from '../ml/tf-runtime';
import { evaluateOn, reportEpoch } from './training-support';

/**
 * Offline augmentation (AutoDL Augment): the training images plus `copies - 1` augmented copies
 * of each, drawn from a seeded stream. src/transfer/finetune takes tensors, not a batch
 * generator, so augmentation happens once before training rather than per epoch.
 */
export function augmentedCopies(
  ds: Dataset,
  augmenter: ImageAugmenter,
  copies: number,
  seed: number,
): Dataset {
  const inputs = ds.inputs;
  if (copies <= 1) return ds;
  if (inputs.kind !== 'image') {
    throw ValidationError.field(
      'spec.augment',
      `image augmentation needs an image data set, got ${inputs.kind}`,
    );
  }
  const rng = new Rng(seed).fork('augment');
  const pixels = [...inputs.pixels];
  const labels = [...ds.labels];
  for (let c = 1; c < copies; c++) {
    inputs.pixels.forEach((p, i) => {
      pixels.push(augmenter.apply(p, inputs.shape, rng));
      labels.push(ds.labels[i]);
    });
  }
  return new Dataset({ kind: 'image', shape: inputs.shape, pixels }, labels, ds.classNames);
}

/** Resumable state; the weights (and dynamics so far) are in the slot's artifacts. */
interface FinetuneJobCheckpoint {
  epochsDone: number;
  attention: number[][] | null;
}

function isCheckpoint(v: unknown): v is FinetuneJobCheckpoint {
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger((v as FinetuneJobCheckpoint).epochsDone) &&
    (v as FinetuneJobCheckpoint).epochsDone > 0
  );
}

/** The dynamics recorded so far sit beside the weights in the checkpoint's slot. */
function dynamicsFile(epochsDone: number): string {
  return `${checkpointSlot(epochsDone).dir}/dynamics.json`;
}

/**
 * `finetune`: base model + target data set + method (l2, l2sp, delta, rifle, dtnh+..., auto)
 * through src/transfer/finetune.ts; registers the result with its lineage. The model keeps the
 * base model's input preprocessing (normalisation, vocabulary): the backbone was trained on it.
 * Every epoch stores the weights (and the dynamics recorded so far) as checkpoint artifacts; a
 * re-queued attempt continues after the last stored epoch (see finetune() for what carries over).
 */
@Injectable()
export class FinetuneHandler implements JobHandler<FinetuneSpec, Record<string, unknown>> {
  readonly kind = 'finetune';
  readonly references: readonly SpecReference[] = [
    { field: 'baseModel', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(
    private readonly datasets: DatasetsService,
    private readonly models: ModelsService,
    private readonly tfRuntime: TfRuntime,
  ) {}

  validate(spec: unknown): FinetuneSpec {
    return validateFinetuneSpec(spec);
  }

  async run(spec: FinetuneSpec, ctx: JobContext): Promise<Record<string, unknown>> {
    const backend = await this.tfRuntime.ready();
    const done = await this.models.findByJob(ctx.projectId, ctx.jobId);
    if (done) return { modelId: done.id, backend, resumed: true };
    const config = validateFinetuneConfig(spec.config, 'spec.config');
    const base = await this.models.load(ctx.projectId, spec.baseModel);
    const stored = await this.datasets.load(ctx.projectId, spec.dataset);
    const { train, validation, test } = splitsOf(stored);
    const contract = contractOf(base.entity);
    const tensors: tf.Tensor[] = [];
    try {
      checkDatasetFits(train, contract);
      const augmented =
        spec.augmentCopies > 1
          ? augmentedCopies(
              train,
              new ImageAugmenter(spec.augment),
              spec.augmentCopies,
              config.seed,
            )
          : train;
      const trainSet = datasetTensors(augmented, contract, base.vocabulary);
      tensors.push(trainSet.x, trainSet.y);
      const useValidation = validation.size > 0;
      const valSet = useValidation
        ? datasetTensors(validation, contract, base.vocabulary)
        : undefined;
      if (valSet) tensors.push(valSet.x, valSet.y);
      if (config.earlyStoppingPatience > 0 && !valSet) {
        throw ValidationError.field(
          'spec.config.earlyStoppingPatience',
          'the data set has no validation split',
        );
      }
      // The originals come first in the (possibly augmented) training tensors.
      const originals = spec.recordDynamics ? trainSet.x.slice(0, train.size) : undefined;
      if (originals) tensors.push(originals);
      const recorder = originals
        ? new DynamicsRecorder(originals, [...train.labels], stored.split.train.map(String))
        : undefined;
      let resume: FinetuneCheckpoint | undefined;
      if (isCheckpoint(ctx.resumeFrom)) {
        const { epochsDone, attention } = ctx.resumeFrom;
        resume = {
          epochsDone,
          weights: await readModelCheckpoint(ctx, epochsDone),
          attention: attention ?? undefined,
        };
        if (recorder) {
          const saved = JSON.parse(
            (await ctx.readArtifact(ctx.jobId, dynamicsFile(epochsDone))).toString('utf8'),
          ) as SampleRecords[];
          saved.forEach((s, i) => recorder.samples[i].epochs.push(...s.epochs));
        }
        await ctx.log(`resuming from the checkpoint after epoch ${epochsDone}`);
      }
      const history: FinetuneEpochMetrics[] = [];
      await ctx.log(
        `fine-tuning ${base.entity.name} with ${config.plan.name} on ${train.size} examples (${augmented.size} with augmentation), backend ${backend}`,
      );
      const result = await finetune({
        base: base.model,
        train: trainSet,
        validation: valSet,
        numClasses: train.numClasses,
        config,
        shouldStop: () => ctx.cancelled,
        resume,
        onCheckpoint: async ({ epochsDone, weights, attention }) => {
          await storeModelCheckpoint(ctx, epochsDone, weights);
          if (recorder) {
            await ctx.artifact(
              dynamicsFile(epochsDone),
              JSON.stringify(recorder.samples),
              'application/json',
            );
          }
          await ctx.checkpoint({
            epochsDone,
            attention: attention ?? null,
          } satisfies FinetuneJobCheckpoint);
        },
        onEpochEnd: async (m: FinetuneEpochMetrics, model: tf.LayersModel) => {
          history.push(m);
          recorder?.record(model, m.epoch);
          const { rifleReinits, ...numbers } = m;
          await reportEpoch(ctx, { ...numbers, rifleReinits: rifleReinits.length }, config.epochs, {
            from: 0.05,
            to: 0.95,
          });
        },
      });
      try {
        if (result.stoppedBy === 'cancelled') throw new JobCancelledError();
        const evaluation = evaluateOn(result.model, test, contract, base.vocabulary);
        if (recorder) {
          await ctx.artifact(
            'dynamics.json',
            JSON.stringify({
              dataset: spec.dataset,
              split: 'train',
              classNames: train.classNames,
              samples: recorder.samples,
            }),
            'application/json',
          );
        }
        const name =
          spec.name ??
          `${base.entity.name}-${config.plan.name.replace(/\+/g, '-')}-${ctx.jobId.slice(0, 8)}`;
        const entity = await this.models.registerFromJob(ctx, result.model, {
          name,
          architecture: base.entity.architecture,
          inputKind: base.entity.inputKind,
          classNames: [...train.classNames],
          featureNames: base.entity.featureNames,
          preprocessing: base.entity.preprocessing,
          vocabulary: base.vocabulary,
          baseModelId: base.entity.id,
          datasetId: spec.dataset,
          method: config.plan.name,
          metrics: {
            history,
            stoppedBy: result.stoppedBy,
            bestEpoch: result.bestEpoch ?? null,
            hookLayers: result.hookLayers ?? null,
            attention: result.attention ?? null,
            rifleSchedule: result.rifleSchedule ?? null,
            backend,
          },
          evaluation: evaluation ? { ...evaluation } : null,
        });
        await ctx.progress(1, `registered model ${entity.name}`);
        return {
          modelId: entity.id,
          modelName: entity.name,
          method: config.plan.name,
          backend,
          epochs: history.length + (resume?.epochsDone ?? 0),
          resumedFromEpoch: resume ? resume.epochsDone : null,
          stoppedBy: result.stoppedBy,
          final: history[history.length - 1] ?? null,
          testAccuracy: evaluation?.accuracy ?? null,
        };
      } finally {
        result.model.dispose();
      }
    } finally {
      tf.dispose(tensors);
      base.model.dispose();
    }
  }
}
