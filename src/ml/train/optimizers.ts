import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';
import { HostAdam } from './host-adam';

import { OPTIMIZER_NAMES, type OptimizerName } from './optimizer-names';

export { OPTIMIZER_NAMES, type OptimizerName } from './optimizer-names';

export interface OptimizerSpec {
  name: OptimizerName;
  /** Momentum coefficient for `momentum` (default 0.9). */
  momentum?: number;
}

/** What the loop needs of an optimizer: tf.Optimizer's applyGradients. */
export interface GradientApplier {
  applyGradients(grads: tf.NamedTensorMap): void;
}

/** An optimizer whose learning rate the training loop can change between steps. */
export interface ScheduledOptimizer {
  readonly optimizer: GradientApplier;
  setLearningRate(lr: number): void;
  /** Frees the optimizer's state (slots and scalars). */
  dispose(): void;
}

export function makeOptimizer(spec: OptimizerSpec, learningRate: number): ScheduledOptimizer {
  switch (spec.name) {
    case 'sgd':
    case 'momentum': {
      const m = spec.momentum ?? 0.9;
      if (spec.name === 'momentum' && !(m >= 0 && m < 1)) {
        throw ValidationError.field('optimizer.momentum', `must be in [0, 1), got ${m}`);
      }
      const opt =
        spec.name === 'sgd' ? tf.train.sgd(learningRate) : tf.train.momentum(learningRate, m);
      const dispose = (): void => {
        opt.dispose();
        // tfjs 4.22's MomentumOptimizer.dispose() frees its slots but not the learning-rate scalar
        // `c` it inherits from SGDOptimizer (SGD's own dispose does): free it here.
        if (spec.name === 'momentum') (opt as unknown as { c: tf.Tensor }).c.dispose();
      };
      return { optimizer: opt, setLearningRate: (lr) => opt.setLearningRate(lr), dispose };
    }
    case 'adam': {
      // tf.train.adam's update on the host (host-adam.ts): same formula, a fraction of the calls.
      const opt = new HostAdam(learningRate);
      return {
        optimizer: opt,
        setLearningRate: (lr) => (opt.learningRate = lr),
        dispose: () => opt.dispose(),
      };
    }
    default:
      throw ValidationError.field(
        'optimizer.name',
        `unknown optimizer ${String((spec as { name: unknown }).name)}; known: ${OPTIMIZER_NAMES.join(', ')}`,
      );
  }
}
