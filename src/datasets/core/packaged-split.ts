import { Dataset, fewShot, remapLabels, selectClasses, stratifiedSplit } from '../../ml/data';
import { joinSplits, StoredDataset } from './dataset-codec';
import {
  DEFAULT_SPLIT,
  DEFAULT_VALIDATION_FRACTION,
  parseSplit,
  remapPlan,
} from './dataset-options';

/** JSON body of `POST /v1/datasets` (PackagedDatasetDto, already validated). */
export interface PackagedRequest {
  packaged: string;
  name?: string;
  classes?: (string | number)[];
  remap?: Record<string, string>;
  perClass?: number;
  split?: { train: number; validation: number; test: number };
  seed?: number;
}

/** A packaged set as src/ml/data/packaged.ts reads it. */
export interface PackagedSource {
  source: string;
  license: string;
  train: Dataset;
  test?: Dataset;
}

/**
 * The stored examples and split of a packaged set after the request's class selection,
 * remapping, split and few-shot reduction, with the options recorded on the row. A set with an
 * official test split keeps it (unless a split is given) and carves validation from its training
 * split; few-shot applies to the train split only, so evaluation stays on full-size sets.
 */
export function splitPackaged(
  packaged: PackagedSource,
  req: PackagedRequest,
): { stored: StoredDataset; options: Record<string, unknown> } {
  const seed = req.seed ?? 0;
  const shape = (ds: Dataset): Dataset => {
    let out = ds;
    if (req.classes !== undefined) out = selectClasses(out, req.classes);
    if (req.remap !== undefined) {
      const plan = remapPlan(out.classNames, req.remap);
      out = remapLabels(out, plan.mapping, plan.classNames);
    }
    return out;
  };
  let train: Dataset;
  let validation: Dataset;
  let test: Dataset;
  let split = req.split;
  if (packaged.test !== undefined && split === undefined) {
    // Keep the official test split; carve validation from the official training split.
    const v = DEFAULT_VALIDATION_FRACTION;
    const parts = stratifiedSplit(
      shape(packaged.train),
      { train: 1 - v, validation: v, test: 0 },
      seed,
    );
    train = parts.train;
    validation = parts.validation;
    test = shape(packaged.test);
  } else {
    split ??= DEFAULT_SPLIT;
    if (split !== DEFAULT_SPLIT) split = parseSplit(split);
    const all = packaged.test
      ? concat(shape(packaged.train), shape(packaged.test))
      : shape(packaged.train);
    ({ train, validation, test } = stratifiedSplit(all, split, seed));
  }
  if (req.perClass !== undefined) train = fewShot(train, req.perClass, seed);
  const options: Record<string, unknown> = {
    packaged: req.packaged,
    source: packaged.source,
    license: packaged.license,
    seed,
    split: split ?? 'official test, validation ' + DEFAULT_VALIDATION_FRACTION + ' of train',
    ...(req.classes ? { classes: req.classes } : {}),
    ...(req.remap ? { remap: req.remap } : {}),
    // Said in the stored options (and so in every response and `autodl datasets show`): the
    // few-shot reduction applies to the train split only.
    ...(req.perClass ? { perClass: req.perClass, perClassAppliesTo: 'train' } : {}),
  };
  return { stored: joinSplits(train, validation, test), options };
}

function concat(a: Dataset, b: Dataset): Dataset {
  return joinSplits(a, b, b.select([])).dataset;
}
