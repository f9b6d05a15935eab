// The chart definitions the server renders into job PNGs (src/platform/charts/options, no Node
// or DOM imports), so the console and the artifacts show the same pictures.
export {
  barsHeight,
  barsOption,
  latencyCdfOption,
  latencyCdfPoints,
  nasFrontOption,
  shownConfigs,
  tuningParetoOption,
  type FrontPoint,
  type LatencyCdfData,
  type NasFrontData,
  type TunedConfig,
} from '../../../../src/platform/charts/options';
export {
  NAS_COST_AXES,
  nasFrontData,
  type NasCostMetric,
  type NasTrialPoint,
} from '../../../../src/platform/charts/options';
