/** Public API of the JIZHI serving simulator and autotuner (what REST, CLI and jobs wire in). */
export { JizhiSimModule } from './jizhi-sim.module';
export { JizhiSimService, type SimArtifact } from './jizhi-sim.service';
export { pipelineOpenApiSchema } from './openapi-schema';
export { SimulateJobHandler, type SimulateSpec } from './simulate.handler';
export { TuneJobHandler } from './tune.handler';
export { latencyCdfPng, paretoPng, utilisationPng } from './charts';
export {
  LIMITS,
  Simulation,
  prepareSimulation,
  simulate,
  type SimulationOptions,
  type SimulationResult,
  type StageResult,
} from './core/simulator';
export {
  assertStable,
  compilePipeline,
  stageLoads,
  type PipelineSpec,
  type StageSpec,
  type StageLoad,
} from './core/pipeline';
export { readTraffic, TRAFFIC_MODELS, type TrafficSpec } from './core/traffic/registry';
export type { TrafficModel } from './core/traffic/traffic-model';
export {
  readRingSpec,
  ringEfficiencyLimit,
  ringIterationMs,
  ringSpeedup,
  ringTable,
  type RingRow,
  simulateRing,
  type RingSpec,
} from './core/ring';
export {
  readTuneSpec,
  applyParams,
  TUNABLE_PARAMS,
  type TuneSpec,
  type SpaceEntry,
} from './tune/tune-spec';
export {
  tune,
  paretoFront,
  type TuneResult,
  type ConfigEvaluation,
  type TuneTrialRecord,
  type TuneCheckpoint,
  ConfigEvaluator,
} from './tune/tuner';
export { TUNE_SAMPLERS } from './tune/samplers';
