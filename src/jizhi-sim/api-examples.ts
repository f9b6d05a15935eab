/**
 * The request examples shown in the API console: the recommender of examples/jizhi/ (feature
 * fetch behind an LRU -> embedding lookup with cut-off -> batched DNN -> re-rank). The build only
 * compiles src/, so the examples are repeated here; api-examples.spec.ts keeps them equal to the
 * files in examples/jizhi/.
 */
export const RECOMMENDER_PIPELINE = {
  name: 'recommender',
  stages: [
    {
      id: 'feature-fetch',
      instances: 6,
      pricePerHour: 0.2,
      service: { dist: 'lognormal', fixedMs: 3, cv: 0.6 },
      cache: { model: 'lru', capacity: 20000, keys: 1000000, zipfS: 0.9, hitLatencyMs: 0.2 },
      queue: { timeoutMs: 200 },
      next: ['embedding-lookup'],
    },
    {
      id: 'embedding-lookup',
      instances: 4,
      pricePerHour: 0.5,
      service: { dist: 'exponential', fixedMs: 1.5, perItemMs: 0 },
      cutoff: { queueThreshold: 20, serviceScale: 0.6, accuracyPenalty: 0.004 },
      next: ['dnn'],
    },
    {
      id: 'dnn',
      instances: 3,
      pricePerHour: 2.5,
      batch: { maxSize: 16, maxDelayMs: 4 },
      service: {
        dist: 'empirical',
        profile: [
          { batchSize: 1, latenciesMs: [5.1, 5.3, 5.4, 5.6, 6, 7.2] },
          { batchSize: 8, latenciesMs: [8.9, 9.2, 9.5, 9.9, 10.8, 12.5] },
          { batchSize: 16, latenciesMs: [13, 13.4, 13.9, 14.6, 15.9, 18.8] },
        ],
      },
      queue: { capacity: 2000 },
      next: ['re-rank'],
    },
    {
      id: 're-rank',
      instances: 3,
      pricePerHour: 0.3,
      service: { dist: 'lognormal', fixedMs: 1.2, cv: 0.3 },
    },
  ],
};

/** examples/jizhi/simulate.json without its pipeline. */
export const SIMULATE_EXAMPLE = {
  traffic: { model: 'diurnal', meanRps: 1500, amplitude: 0.3, periodS: 600 },
  durationS: 600,
  warmupS: 30,
  seed: 1,
};

/** examples/jizhi/tune.json without its pipeline. */
export const TUNE_EXAMPLE = {
  traffic: { model: 'poisson', rateRps: 1500 },
  slo: { p99Ms: 40, maxDropRate: 0.001, maxAccuracyPenalty: 0.001 },
  space: [
    { stage: 'feature-fetch', param: 'instances', low: 2, high: 8 },
    { stage: 'feature-fetch', param: 'cache.capacity', values: [0, 5000, 20000, 80000] },
    { stage: 'embedding-lookup', param: 'instances', low: 2, high: 6 },
    { stage: 'embedding-lookup', param: 'cutoff.queueThreshold', values: [5, 20, 80] },
    { stage: 'dnn', param: 'instances', low: 1, high: 5 },
    { stage: 'dnn', param: 'batch.maxSize', values: [4, 8, 16] },
    { stage: 'dnn', param: 'batch.maxDelayMs', low: 1, high: 8, step: 1 },
    { stage: 're-rank', param: 'instances', low: 2, high: 5 },
  ],
  budget: { trials: 60 },
  seeds: 2,
  sampler: 'tpe',
  objective: 'min-cost',
  durationS: 30,
  warmupS: 3,
  seed: 0,
};

/** The ring request of `autodl sim ring --calc 100 --transmit 20 --merge 5 --gpus 1,2,4,8`. */
export const RING_EXAMPLE = { tCalcMs: 100, tTransmitMs: 20, tMergeMs: 5, gpus: [1, 2, 4, 8] };
