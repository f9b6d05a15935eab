/** Pruner registry: API name -> class. Settings are validated by each constructor. */
import { ValidationError } from '../../../platform/errors/domain-error';
import { HyperbandPruner } from './hyperband';
import { MedianPruner } from './median';
import { NopPruner } from './nop';
import { PercentilePruner } from './percentile';
import { Pruner } from '../pruner';
import { SuccessiveHalvingPruner } from './successive-halving';
import { WilcoxonPruner } from './wilcoxon';

export const PRUNERS: Readonly<Record<string, new (settings?: unknown) => Pruner>> = {
  nop: NopPruner,
  median: MedianPruner,
  percentile: PercentilePruner,
  'successive-halving': SuccessiveHalvingPruner,
  asha: SuccessiveHalvingPruner,
  hyperband: HyperbandPruner,
  wilcoxon: WilcoxonPruner,
};

export const PRUNER_NAMES = Object.keys(PRUNERS);

export function createPruner(name: string, settings: unknown = {}): Pruner {
  const Ctor = Object.prototype.hasOwnProperty.call(PRUNERS, name) ? PRUNERS[name] : undefined;
  if (!Ctor)
    throw ValidationError.field(
      'name',
      `unknown pruner ${JSON.stringify(name)} (known: ${PRUNER_NAMES.join(', ')})`,
    );
  return new Ctor(settings);
}
