/** Never prunes (Optuna's NopPruner). */
import { SettingsReader } from '../settings';
import { PruneDecision, Pruner } from '../pruner';

export class NopPruner implements Pruner {
  readonly name = 'nop';
  constructor(settings: unknown = {}) {
    new SettingsReader(settings).done();
  }
  prune(): PruneDecision {
    return { prune: false };
  }
}
