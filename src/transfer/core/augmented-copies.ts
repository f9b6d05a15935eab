import { Dataset, ImageAugmenter } from '../../ml/data';
import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';

/**
 * Offline augmentation (AutoDL Augment): the training images plus `copies - 1` augmented copies
 * of each, drawn from a seeded stream. src/transfer/finetune takes tensors, not a batch
 * generator, so augmentation happens once before training rather than per epoch. The originals
 * come first.
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
