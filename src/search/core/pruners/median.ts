/** Median stopping rule (Golovin et al. 2017, Google Vizier): the 50th-percentile pruner. */
import { PercentilePruner } from './percentile';

export class MedianPruner extends PercentilePruner {
  override readonly name: string = 'median';
  constructor(settings: unknown = {}) {
    super(settings, 50);
  }
}
