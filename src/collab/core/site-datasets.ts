/**
 * One registered data set split into N site data sets for a federation experiment (the issue's
 * experiment helper, behind `POST /v1/datasets/:ref/site-split`): `splitSites` (splitters.ts)
 * deals all examples to the sites (IID, Dirichlet(alpha) label skew or disjoint classes), and each
 * example keeps the split it had in the source. So a site's test split has the same label skew as
 * its training split (a site evaluates on data like its own), and the union of the sites is the
 * source, split for split: pooled training on the source is the federation's reference.
 */
import type { StoredDataset } from '../../datasets/core/dataset-codec';
import { ValidationError } from '../../platform/errors/domain-error';
import { splitSites, type SplitSpec } from './splitters';

export function siteDatasets(
  source: StoredDataset,
  sites: number,
  spec: SplitSpec,
  seed: number,
): StoredDataset[] {
  const { dataset, split } = source;
  const splitOf = new Int8Array(dataset.size).fill(-1);
  split.train.forEach((i) => (splitOf[i] = 0));
  split.validation.forEach((i) => (splitOf[i] = 1));
  split.test.forEach((i) => (splitOf[i] = 2));
  // Only examples in a split are dealt (a stored set's splits cover it, but do not assume so).
  const members = Array.from({ length: dataset.size }, (_, i) => i).filter((i) => splitOf[i] >= 0);
  const labels = members.map((i) => dataset.labels[i]);
  const parts = splitSites(labels, sites, spec, seed);
  return parts.map((positions, k) => {
    const indices = positions.map((p) => members[p]);
    const own = { train: [] as number[], validation: [] as number[], test: [] as number[] };
    indices.forEach((source, local) =>
      (splitOf[source] === 0 ? own.train : splitOf[source] === 1 ? own.validation : own.test).push(
        local,
      ),
    );
    if (own.train.length === 0)
      throw ValidationError.field(
        'sites',
        `site ${k + 1} of ${sites} got no training example; use fewer sites, or a split that gives every site some (${spec.kind})`,
      );
    return { dataset: dataset.select(indices), split: own };
  });
}
