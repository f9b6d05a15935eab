/**
 * What a `nas-export` job trains: the found architecture, compiled afresh (new seeded weights,
 * not the search's) for the data set's train + validation splits (the search held out part of
 * them to rank candidates; the final model uses all of them, as NAS papers retrain the found
 * cell), with the input contract a registered model keeps; the test split stays for evaluation.
 */
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../ml/data/dataset';
import { normalisationStats } from '../ml/data/transforms';
import { Vocabulary } from '../ml/data/vocabulary';
import { EpochMetrics, TrainSet } from '../ml/train/trainer';
import { StoredDataset, splitsOf } from '../datasets/core/dataset-codec';
import { InputContract, datasetTensors } from '../registry/core/encode';
import type { NewModel } from '../registry/model-registry.port';
import { NAS_EXPORT_DEFAULTS, NasExportSpec } from './core/nas-export-spec';
import { NasJobResult, TrialSummary } from './core/nas-report';
import { NasJobSpec } from './core/nas-spec';
import { createArchitectureSpace } from './core/spaces/space-registry';

export interface ExportInputs {
  train: Dataset;
  test: Dataset;
  vocabulary?: Vocabulary;
  contract: InputContract;
  model: tf.LayersModel;
  /** Tensors of `train` under the contract (the caller disposes them and the model). */
  trainSet: TrainSet;
}

export function exportInputs(
  stored: StoredDataset,
  search: { spec: NasJobSpec; result: NasJobResult; trial: TrialSummary },
  seed: number,
): ExportInputs {
  const { spec: nasSpec, result, trial } = search;
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
    seed,
  });
  // datasetTensors applies the contract's normalisation itself.
  const trainSet = datasetTensors(train, contract, vocabulary);
  return { train, test, vocabulary, contract, model, trainSet };
}

/** The registry entry of an exported architecture: lineage to the data set and the NAS job. */
export function exportEntry(
  spec: NasExportSpec,
  jobId: string,
  search: { spec: NasJobSpec; result: NasJobResult; trial: TrialSummary },
  inputs: Pick<ExportInputs, 'train' | 'contract' | 'vocabulary'>,
  history: readonly EpochMetrics[],
): Omit<NewModel, 'evaluation'> {
  const { result, trial } = search;
  const { train, contract, vocabulary } = inputs;
  return {
    name: spec.name ?? `nas-${result.space.type}-t${trial.number}-${jobId.slice(0, 8)}`,
    architecture: `nas:${result.space.type}`,
    inputKind: train.kind,
    classNames: [...train.classNames],
    featureNames: contract.featureNames ? [...contract.featureNames] : null,
    preprocessing: contract.preprocessing,
    vocabulary,
    datasetId: search.spec.dataset,
    method: 'nas',
    metrics: {
      history,
      nasJob: spec.nasJob,
      trial: trial.number,
      encoding: trial.encoding,
      searchAccuracy: trial.accuracy ?? null,
    },
  };
}
