/**
 * A federation's data contract: one model is averaged over every site, so every site's data
 * (and the shared set) must be images of one shape with one class list (names, in order).
 */

/** What the contract compares of a data set: its image shape (null: not images), classes, size. */
export interface DataContractView {
  imageShape: { height: number; width: number; channels: number } | null;
  classNames: readonly string[];
  size: number;
}

/**
 * How a data set misses the contract given by `inputShape` and `classNames`: the one check of
 * the API at submission (on the stored statistics), of the coordinator and of every site (on
 * the loaded data, site-training.ts contractMisfit).
 */
export function misfitOf(
  view: DataContractView,
  inputShape: readonly number[],
  classNames: readonly string[],
): 'shape' | 'classes' | 'empty' | null {
  const s = view.imageShape;
  if (!s || [s.height, s.width, s.channels].join('x') !== inputShape.join('x')) return 'shape';
  if (view.classNames.join('\u0000') !== classNames.join('\u0000')) return 'classes';
  return view.size === 0 ? 'empty' : null;
}
