/**
 * The zoo's architecture names, apart from their builders (zoo.ts) so that code without TF.js
 * (the console's forms) can list them; zoo.ts checks it builds exactly these.
 */
export const ZOO_MODEL_NAMES = [
  'small-cnn',
  'small-resnet',
  'mobilenet',
  'mlp',
  'text-classifier',
] as const;
export type ZooModelName = (typeof ZOO_MODEL_NAMES)[number];
