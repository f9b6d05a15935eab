/** The optimizers' API names, apart from optimizers.ts (TF.js) so the console's forms can list them. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];
