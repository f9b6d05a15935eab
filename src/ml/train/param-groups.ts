import * as tf from '@tensorflow/tfjs';
import { makeOptimizer, OptimizerSpec, ScheduledOptimizer } from './optimizers';
import { LrSchedule } from './schedules';

/**
 * A parameter group (torch.optim's `param_groups`): some variables trained with their own
 * learning-rate schedule. RIFLE's authors give the re-initialised classifier a cyclic learning
 * rate while the backbone follows one cosine decay; this is how the loop expresses that.
 */
export interface ParamGroup {
  /** Names of the tf.Variables in the group (`LayerVariable.read().name`). */
  variables: readonly string[];
  schedule: LrSchedule;
}

interface LiveGroup {
  names: ReadonlySet<string>;
  schedule: LrSchedule;
  opt: ScheduledOptimizer;
  lr: number;
}

/**
 * One optimizer per group (same kind and settings), so each group's update, moments included, is
 * what that optimizer would do with the group's learning rate. Variables in no group use the
 * default optimizer and schedule.
 */
export class GroupedOptimizer {
  private readonly groups: LiveGroup[];
  private readonly main: ScheduledOptimizer;
  private mainLr: number;

  /**
   * `carried`: the default group's optimizer, kept by the caller across runs so its moments
   * carry over (the caller disposes it); absent: a fresh one, disposed with this.
   */
  constructor(
    spec: OptimizerSpec,
    learningRate: number,
    private readonly schedule: LrSchedule,
    groups: readonly ParamGroup[] = [],
    private readonly carried?: ScheduledOptimizer,
  ) {
    this.main = carried ?? makeOptimizer(spec, learningRate);
    if (carried) carried.setLearningRate(learningRate);
    this.mainLr = learningRate;
    this.groups = groups.map((g) => ({
      names: new Set(g.variables),
      schedule: g.schedule,
      opt: makeOptimizer(spec, learningRate),
      lr: learningRate,
    }));
  }

  /** The default group's learning rate at the last step (what the epoch metrics report). */
  get learningRate(): number {
    return this.mainLr;
  }

  /** Applies one step's gradients, each group at its schedule's rate for `step`. */
  apply(grads: tf.NamedTensorMap, step: number): void {
    const lr = this.schedule.at(step);
    if (lr !== this.mainLr) {
      this.main.setLearningRate(lr);
      this.mainLr = lr;
    }
    if (this.groups.length === 0) {
      this.main.optimizer.applyGradients(grads);
      return;
    }
    const rest: tf.NamedTensorMap = {};
    const parts = this.groups.map(() => ({}) as tf.NamedTensorMap);
    for (const [name, g] of Object.entries(grads)) {
      const i = this.groups.findIndex((group) => group.names.has(name));
      (i < 0 ? rest : parts[i])[name] = g;
    }
    // tfjs' momentum and Adam optimizers index their slots by position in the map, not by name:
    // each optimizer must always get the same variables in the same order, which this split keeps.
    if (Object.keys(rest).length > 0) this.main.optimizer.applyGradients(rest);
    this.groups.forEach((group, i) => {
      if (Object.keys(parts[i]).length === 0) return;
      const groupLr = group.schedule.at(step);
      if (groupLr !== group.lr) {
        group.opt.setLearningRate(groupLr);
        group.lr = groupLr;
      }
      group.opt.optimizer.applyGradients(parts[i]);
    });
  }

  dispose(): void {
    if (!this.carried) this.main.dispose();
    for (const g of this.groups) g.opt.dispose();
  }
}
