import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';

export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];

export interface OptimizerSpec {
  name: OptimizerName;
  /** Momentum coefficient for `momentum` (default 0.9). */
  momentum?: number;
}

/** An optimizer whose learning rate the training loop can change between steps. */
export interface ScheduledOptimizer {
  readonly optimizer: tf.Optimizer;
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
      const opt = tf.train.adam(learningRate);
      // AdamOptimizer reads its (protected) learningRate field on every update and offers no
      // setter in tfjs 4.22, so the schedule writes the field.
      const writable = opt as unknown as { learningRate: number };
      return {
        optimizer: opt,
        setLearningRate: (lr) => (writable.learningRate = lr),
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
