import { ValidationError } from '../../platform/errors/domain-error';
import { ImageLimeExplainer, type ImageLimeOptions } from './image-lime';
import { TabularLimeExplainer, type TabularLimeOptions } from './tabular-lime';
import { TextLimeExplainer, type TextLimeOptions } from './text-lime';
import type { InputKind } from './types';

export interface ExplainerOptionsByKind {
  tabular: TabularLimeOptions;
  text: TextLimeOptions;
  image: ImageLimeOptions;
}

export interface ExplainerByKind {
  tabular: TabularLimeExplainer;
  text: TextLimeExplainer;
  image: ImageLimeExplainer;
}

/** API input kind -> LIME explainer class. */
export const EXPLAINERS = {
  tabular: TabularLimeExplainer,
  text: TextLimeExplainer,
  image: ImageLimeExplainer,
} as const;

export const INPUT_KINDS: readonly InputKind[] = ['tabular', 'text', 'image'];

export function createExplainer<K extends InputKind>(
  kind: K,
  options: ExplainerOptionsByKind[K],
): ExplainerByKind[K] {
  if (!INPUT_KINDS.includes(kind)) {
    throw ValidationError.field(
      'inputKind',
      `must be one of ${INPUT_KINDS.join(', ')}, got ${String(kind)}`,
    );
  }
  const Ctor = EXPLAINERS[kind] as unknown as new (
    o: ExplainerOptionsByKind[K],
  ) => ExplainerByKind[K];
  return new Ctor(options);
}
