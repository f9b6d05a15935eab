import referenceJson from '../fixtures/search/gp-reference.json';

/** The reference GP computed by test/fixtures/search/gp-reference.py (numpy / scipy). */
export interface GpReference {
  x: number[][];
  y: number[];
  isCategorical: boolean[];
  lambda: number[];
  kernelScale: number;
  noiseVar: number;
  queries: number[][];
  mean: number[];
  variance: number[];
  logMarginalLikelihood: number;
  logPrior: number;
  ei: { mean: number; variance: number; f0: number; ei: number }[];
}

export const REF = referenceJson as unknown as GpReference;
/** Its training inputs and targets, and its kernel hyper-parameters, as the GP code takes them. */
export const X = REF.x.map((r) => Float64Array.from(r));
export const Y = Float64Array.from(REF.y);
export const PARAMS = {
  inverseSquaredLengthscales: Float64Array.from(REF.lambda),
  kernelScale: REF.kernelScale,
  noiseVar: REF.noiseVar,
};
