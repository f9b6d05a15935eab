/**
 * The coordinator's side of server-side ensemble distillation (FedDF, core/ensemble-distillation.ts)
 * on TF.js: a model of the federation's architecture and the coordinator's public unlabeled
 * inputs. Runs inside the federation job; the public set never leaves it and its labels are never
 * read. `fuser` is what the coordinator loop calls after each round's average.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ensembleDistill,
  type DistillationStudent,
  type Fuser,
  type ServerDistillationSettings,
} from './core/ensemble-distillation';
import type { WeightSet } from './core/weights';
import { predictSequentially } from '../ml/train/evaluate';
import { distillationTerm } from '../ml/train/row-objectives';
import { makeOptimizer, type ScheduledOptimizer } from '../ml/train/optimizers';
import { readWeights, writeWeights } from './site-training';

const EPS = 1e-7;

export class TfDistillationStudent implements DistillationStudent {
  readonly rows: number;
  readonly classes: number;
  private optimizer: ScheduledOptimizer | null = null;

  /** `model` is the student (its weights are overwritten); `publicX` [n, ...] its inputs. */
  constructor(
    private readonly model: tf.LayersModel,
    private readonly publicX: tf.Tensor,
  ) {
    this.rows = publicX.shape[0];
    const out = model.outputs[0].shape;
    this.classes = out[out.length - 1] as number;
  }

  predict(rows: readonly number[], weights?: WeightSet): Promise<Float32Array> {
    if (weights) writeWeights(this.model, weights);
    return Promise.resolve(
      tf.tidy(() => {
        const x =
          rows.length === this.rows && rows.every((r, i) => r === i)
            ? this.publicX
            : tf.gather(this.publicX, tf.tensor1d(rows as number[], 'int32'));
        const p = predictSequentially(this.model, x, 256);
        return Float32Array.from(tf.log(tf.add(p, EPS)).dataSync());
      }),
    );
  }

  begin(weights: WeightSet, learningRate: number): void {
    writeWeights(this.model, weights);
    this.optimizer?.dispose();
    this.optimizer = makeOptimizer({ name: 'adam' }, learningRate);
  }

  step(rows: readonly number[], targets: Float32Array, temperature: number): Promise<number> {
    const optimizer = this.optimizer;
    if (!optimizer) throw new Error('begin() before step()');
    const variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = tf.tidy(() => {
      const x = tf.gather(this.publicX, tf.tensor1d(rows as number[], 'int32'));
      const teacher = tf.tensor2d(targets, [rows.length, this.classes]);
      const { value, grads } = tf.variableGrads(
        () =>
          distillationTerm(
            this.model.apply(x, { training: true }) as tf.Tensor,
            teacher,
            temperature,
          ),
        variables,
      );
      optimizer.optimizer.applyGradients(grads);
      return value;
    });
    const v = loss.dataSync()[0];
    loss.dispose();
    return Promise.resolve(v);
  }

  weights(): Float32Array[] {
    return readWeights(this.model);
  }

  end(): void {
    this.optimizer?.dispose();
    this.optimizer = null;
  }
}

/** FedDF's fusion over `student`, seeded per round. */
export function fuser(
  student: DistillationStudent,
  settings: ServerDistillationSettings,
  seed: number,
): Fuser {
  return (siteWeights, average, round) =>
    ensembleDistill(siteWeights, average, student, settings, (seed + 7_777 * (round + 1)) >>> 0);
}
