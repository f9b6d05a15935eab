// Wire types of /v1/simulations and /v1/tunings as the simulator pages read them.
import type { JobStatus } from '../api/types';

export interface SimArtifact {
  name: string;
  contentType: string;
  size: number;
  url: string;
}

export interface SimJob<R> {
  id: string;
  status: JobStatus;
  progress: number;
  progressMessage?: string | null;
  error: string | null;
  request: Record<string, unknown>;
  artifacts: SimArtifact[];
  createdAt: string;
  result: R | null;
}

export interface StageResult {
  id: string;
  instances: number;
  utilisation: number;
  predictedUtilisation: number;
  meanQueueLength: number;
  maxQueueLength: number;
  meanWaitMs: number;
  waitedFraction: number;
  dropped: number;
  batches: number;
}

export interface SimulationResult {
  pipeline: string;
  throughputRps: number;
  latencyMs: {
    count: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    p999: number;
    max: number;
  };
  latencyHistogram: { edgesMs: number[]; counts: number[] };
  stages: StageResult[];
  cost: { instances: number; perHour: number };
}

export interface ConfigEvaluation {
  params: Record<string, number>;
  cost: number;
  instances: number;
  p99Ms: number;
  dropRate: number;
  feasible: boolean;
  unstable: boolean;
}

export interface TuneResult {
  objective: 'min-cost' | 'pareto';
  sampler: string;
  trials: number;
  simulations: number;
  best: ConfigEvaluation | null;
  current: ConfigEvaluation;
  savingVsCurrent: number | null;
  paretoFront: ConfigEvaluation[];
  history: (ConfigEvaluation & { trial: number })[];
}

export interface ValidateAnswer {
  valid: boolean;
  problems: { field: string; message: string; kind: 'validation' | 'unprocessable' }[];
}
