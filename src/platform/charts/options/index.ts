export { FONT_FAMILY, PALETTE, type XY } from './common';
export { barsHeight, barsOption, type BarsData } from './bars';
export { linesOption, type LinesData } from './lines';
export { latencyCdfOption, latencyCdfPoints, type LatencyCdfData } from './latency-cdf';
export {
  NAS_COST_AXES,
  nasFrontData,
  nasFrontOption,
  type FrontPoint,
  type NasCostMetric,
  type NasFrontData,
  type NasTrialPoint,
} from './nas-front';
export {
  shownConfigs,
  tuningParetoOption,
  type TunedConfig,
  type TuningParetoData,
} from './tuning-pareto';
