import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { simulateSpec } from '../sim-specs.schema';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';
import { SimulationResult } from './simulation-result';
import { LruZipfCache } from './cache';
import { Rng } from '../../platform/core/rng';
import { SimRandom } from './sim-random';
import { close, erlangC } from '../../../test/support/queueing';

/** The inputs here are JSON literals, as a request gives them (the schema types them). */
const simulate = (input: object) => simulateInput(input as SimulationInput);

/** Little's law L = lambda W, checked on every run of this file. */
function littleHolds(r: SimulationResult): void {
  assert.ok(r.littleLaw.relativeError < 0.01, `Little's law off by ${r.littleLaw.relativeError}`);
}

function singleStage(
  instances: number,
  service: object,
  rateRps: number,
  durationS: number,
  extra: object = {},
): SimulationResult {
  return simulate({
    pipeline: { stages: [{ id: 's', instances, service, ...extra }] },
    traffic: { model: 'poisson', rateRps },
    durationS,
    warmupS: 50,
    seed: 1,
    samplePoints: 0,
  });
}

describe('queueing theory', () => {
  test('M/M/1 mean wait rho/(mu-lambda) and P(wait) = rho (Erlang C with c = 1) within 2%', () => {
    const r = singleStage(1, { dist: 'exponential', fixedMs: 10 }, 70, 15000);
    close(r.stages[0].meanWaitMs, (1000 * 0.7) / (100 - 70), 0.02, 'Wq');
    close(r.stages[0].waitedFraction, 0.7, 0.02, 'P(wait)');
    close(r.stages[0].utilisation, 0.7, 0.01, 'utilisation');
    littleHolds(r);
  });

  test('M/M/4 mean wait C(c,a)/(c mu - lambda) and P(wait) = Erlang C within 2%', () => {
    const r = singleStage(4, { dist: 'exponential', fixedMs: 10 }, 300, 4000);
    const pw = erlangC(4, 3);
    close(r.stages[0].waitedFraction, pw, 0.02, 'P(wait)');
    close(r.stages[0].meanWaitMs, (1000 * pw) / (400 - 300), 0.02, 'Wq');
    littleHolds(r);
  });

  test('M/D/1 mean wait matches Pollaczek-Khinchine rho S / (2 (1 - rho)) within 2%', () => {
    const r = singleStage(1, { dist: 'deterministic', fixedMs: 10 }, 80, 10000);
    close(r.stages[0].meanWaitMs, (0.8 * 10) / (2 * 0.2), 0.02, 'Wq');
    littleHolds(r);
  });

  test('tandem of three M/M/1 queues: mean sojourn sum 1/(mu_i - lambda) (Jackson network)', () => {
    const stage = (id: string, ms: number, next?: string) => ({
      id,
      instances: 1,
      service: { dist: 'exponential', fixedMs: ms },
      next: next ? [next] : undefined,
    });
    const r = simulate({
      pipeline: { stages: [stage('a', 10, 'b'), stage('b', 8, 'c'), stage('c', 12.5)] },
      traffic: { model: 'poisson', rateRps: 50 },
      durationS: 12000,
      warmupS: 50,
      seed: 2,
      samplePoints: 0,
    });
    const expected = 1000 * (1 / (100 - 50) + 1 / (125 - 50) + 1 / (80 - 50));
    close(r.latencyMs.mean, expected, 0.02, 'mean sojourn');
    littleHolds(r);
  });

  test('M/M/1/K drop rate equals the blocking probability (1-rho) rho^K / (1 - rho^(K+1))', () => {
    // queue.capacity = 4 waiting places + 1 in service: K = 5.
    const r = singleStage(1, { dist: 'exponential', fixedMs: 10 }, 90, 6000, {
      queue: { capacity: 4 },
    });
    const rho = 0.9;
    const k = 5;
    close(
      r.requests.dropRate,
      ((1 - rho) * rho ** k) / (1 - rho ** (k + 1)),
      0.02,
      'blocking probability',
    );
    littleHolds(r);
  });

  test('feature cut-off at threshold 0 is M/D/1 at the scaled service time (Pollaczek-Khinchine) and charges the penalty on every request', () => {
    // Service 10 ms is scaled by 0.5 on every dispatch (the queue always holds >= 1 at dispatch).
    const r = singleStage(1, { dist: 'deterministic', fixedMs: 10 }, 120, 8000, {
      cutoff: { queueThreshold: 0, serviceScale: 0.5, accuracyPenalty: 0.02 },
    });
    const rho = 0.6;
    close(r.stages[0].meanWaitMs, (rho * 5) / (2 * (1 - rho)), 0.02, 'Wq');
    close(r.accuracyPenalty, 0.02, 1e-9, 'accuracy penalty');
    littleHolds(r);
  });
});

describe('batching, fork/join, caches (hand-computed and closed-form cases)', () => {
  test('dynamic batcher with max delay: hand-computed deterministic schedule', () => {
    // maxSize 4, maxDelay 10 ms, service 5 ms + 1 ms/item, one instance. Arrivals (ms):
    // 0,1,2 -> timer at 10 ms sends a batch of 3, done 18 (latencies 18, 17, 16);
    // 20,21,22,23 -> full batch at 23, done 32 (12, 11, 10, 9);
    // 25 -> server busy till 32, then waits for its delay: dispatched 35, done 41 (16).
    const ts = [0, 1, 2, 20, 21, 22, 23, 25].map((ms) => ms / 1000);
    const r = simulate({
      pipeline: {
        stages: [
          {
            id: 'dnn',
            instances: 1,
            batch: { maxSize: 4, maxDelayMs: 10 },
            service: { dist: 'deterministic', fixedMs: 5, perItemMs: 1 },
          },
        ],
      },
      traffic: { model: 'replay', timestampsS: ts },
      durationS: 0.2,
      seed: 0,
    });
    assert.equal(r.latencyMs.count, 8);
    close(r.latencyMs.mean, 109 / 8, 1e-6, 'mean latency');
    close(r.latencyMs.max, 18, 1e-6, 'max latency');
    // The percentiles come from the run's DDSketch: within its relative accuracy, 0.1%.
    close(r.latencyMs.p50, 14, 1e-3, 'median (type 7 between 12 and 16)');
    assert.deepEqual(r.stages[0].batchSizes, [
      { size: 1, count: 1 },
      { size: 3, count: 1 },
      { size: 4, count: 1 },
    ]);
  });

  test('queue timeout drops requests that waited too long (hand-computed deterministic case)', () => {
    // One server, 10 ms service, 5 ms timeout. Arrivals at 0, 1, 2 and 30 ms: the first is served
    // 0-10; at 10 the others have waited 9 and 8 ms > 5 and are dropped; the last is served at once.
    const r = simulate({
      pipeline: {
        stages: [
          {
            id: 's',
            instances: 1,
            queue: { timeoutMs: 5 },
            service: { dist: 'deterministic', fixedMs: 10 },
          },
        ],
      },
      traffic: { model: 'replay', timestampsS: [0, 0.001, 0.002, 0.03] },
      durationS: 0.1,
    });
    assert.deepEqual(r.requests, { arrived: 4, completed: 2, dropped: 2, dropRate: 0.5 });
    close(r.latencyMs.max, 10, 1e-9, 'served latency');
    assert.equal(r.stages[0].dropped, 2);
  });

  test('fork/join: latency is the slower branch (deterministic hand case)', () => {
    const det = (ms: number) => ({ dist: 'deterministic', fixedMs: ms });
    const r = simulate({
      pipeline: {
        stages: [
          { id: 'in', instances: 1, service: det(1), next: ['left', 'right'] },
          { id: 'left', instances: 1, service: det(3), next: ['join'] },
          { id: 'right', instances: 1, service: det(7), next: ['join'] },
          { id: 'join', instances: 1, service: det(2) },
        ],
      },
      traffic: { model: 'replay', timestampsS: [0, 0.1, 0.2] },
      durationS: 1,
    });
    assert.equal(r.latencyMs.count, 3);
    close(r.latencyMs.max, 1 + 7 + 2, 1e-9, 'latency');
    close(r.latencyMs.p50, 10, 1e-9, 'latency');
  });

  test("LRU over Zipf keys: simulated hit ratio within 2% of Che's approximation", () => {
    const cache = new LruZipfCache(1000, 20000, 0.9);
    const rng = new SimRandom(new Rng(5));
    for (let i = 0; i < 50000; i++) cache.lookup(rng);
    let hits = 0;
    const n = 300000;
    for (let i = 0; i < n; i++) if (cache.lookup(rng)) hits++;
    close(hits / n, cache.expectedHitRatio(), 0.02, 'hit ratio');
  });
});

describe('validation and determinism', () => {
  const good = () => ({
    stages: [
      { id: 'a', instances: 1, service: { dist: 'exponential', fixedMs: 1 }, next: ['b'] },
      { id: 'b', instances: 1, service: { dist: 'exponential', fixedMs: 1 } },
    ],
  });
  // As a request: the job schema (shapes, ranges), then the simulator's own checks.
  const run = (pipeline: unknown, traffic: unknown = { model: 'poisson', rateRps: 10 }) =>
    simulateInput(simulateSpec.parse({ pipeline, traffic, durationS: 10 }, ''));
  const fieldsOf = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
      return e.problems.map((p) => p.field);
    }
    assert.fail('no error thrown');
  };

  test('cycle, unknown reference, negative rate and missing field name their field paths', () => {
    const cyc = good();
    cyc.stages[1] = { ...cyc.stages[1], next: ['a'] };
    assert.deepEqual(
      fieldsOf(() => run(cyc)),
      ['pipeline.stages'],
    );
    const unknown = good();
    unknown.stages[1] = { ...unknown.stages[1], next: ['nope'] };
    assert.deepEqual(
      fieldsOf(() => run(unknown)),
      ['pipeline.stages[1].next[0]'],
    );
    assert.deepEqual(
      fieldsOf(() => run(good(), { model: 'poisson', rateRps: -5 })),
      ['traffic.rateRps'],
    );
    const missing = good() as { stages: Record<string, unknown>[] };
    delete missing.stages[0].instances;
    assert.deepEqual(
      fieldsOf(() => run(missing)),
      ['pipeline.stages[0].instances'],
    );
  });

  test('the library reader rejects typos anywhere with the path and a did-you-mean (bacth, queue.capacty, top level, traffic)', () => {
    // Straight into the core (no job schema in front), as a library caller builds a spec.
    const typos = good() as { stages: Record<string, unknown>[]; nmae?: string };
    typos.stages[1].bacth = { maxSize: 4 };
    typos.stages[0].queue = { capacty: 3 };
    typos.stages[0].service = { dist: 'exponential', fixedMs: 1, perItmeMs: 1 };
    typos.nmae = 'x';
    try {
      simulate({ pipeline: typos, traffic: { model: 'poisson', rateRps: 10 }, durationS: 10 });
      assert.fail('no error thrown');
    } catch (e) {
      assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
      const byField = Object.fromEntries(e.problems.map((p) => [p.field, p.message]));
      assert.match(byField['pipeline.stages[1].bacth'], /did you mean "batch"\?$/);
      assert.match(byField['pipeline.stages[0].queue.capacty'], /did you mean "capacity"\?$/);
      assert.match(byField['pipeline.stages[0].service.perItmeMs'], /did you mean "perItemMs"\?$/);
      assert.match(byField['pipeline.nmae'], /did you mean "name"\?$/);
    }
    assert.throws(
      () =>
        simulate({
          pipeline: good(),
          traffic: { model: 'poisson', rateRsp: 10 },
          durationS: 10,
        }),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.problems.some(
          (p) => p.field === 'traffic.rateRsp' && /did you mean "rateRps"\?/.test(p.message),
        ),
    );
  });

  test('an unstable stage (load >= capacity, no shedding) is refused with its name and utilisation', () => {
    const p = good();
    p.stages[1].service.fixedMs = 120;
    assert.throws(
      () => run(p),
      (e: unknown) =>
        e instanceof UnprocessableError &&
        /"b".*utilisation 1\.200/.test(e.message) &&
        e.problems[0].field === 'pipeline.stages[1]',
    );
    // With load shedding the same overload is a valid scenario: b is M/M/1/K with K = 21 places
    // (20 waiting + 1 in service; its input is Poisson by Burke's theorem), which blocks
    // (1 - rho) rho^K / (1 - rho^(K+1)) = 0.1697 of arrivals at rho = 1.2. Near saturation one
    // run is noisy (seeds 0-9 of 3000 s range 0.164-0.185), so four runs are pooled.
    const shedding = { stages: [p.stages[0], { ...p.stages[1], queue: { capacity: 20 } }] };
    const rho = 1.2;
    const K = 21;
    let drops = 0;
    for (let seed = 0; seed < 4; seed++) {
      const r = simulate({
        pipeline: shedding,
        traffic: { model: 'poisson', rateRps: 10 },
        durationS: 3000,
        warmupS: 100,
        seed,
      });
      drops += r.requests.dropRate / 4;
      littleHolds(r);
    }
    close(drops, ((1 - rho) * rho ** K) / (1 - rho ** (K + 1)), 0.03, 'drop rate under 120% load');
  });

  test('same seed gives byte-identical JSON; another seed differs', () => {
    const spec = (seed: number) => ({
      pipeline: {
        name: 'det',
        stages: [
          {
            id: 'fetch',
            instances: 2,
            service: { dist: 'lognormal', fixedMs: 2, cv: 0.8 },
            cache: { model: 'lru', capacity: 100, keys: 2000, zipfS: 1 },
            next: ['x', 'y'],
          },
          { id: 'x', instances: 2, service: { dist: 'exponential', fixedMs: 3 }, next: ['z'] },
          {
            id: 'y',
            instances: 1,
            batch: { maxSize: 8, maxDelayMs: 2 },
            service: {
              dist: 'empirical',
              profile: [
                { batchSize: 1, latenciesMs: [1, 2, 3] },
                { batchSize: 8, latenciesMs: [4, 5, 9] },
              ],
            },
            next: ['z'],
          },
          {
            id: 'z',
            instances: 1,
            service: { dist: 'deterministic', fixedMs: 1 },
            cutoff: { queueThreshold: 2, serviceScale: 0.7, accuracyPenalty: 0.01 },
            queue: { capacity: 50, timeoutMs: 30 },
          },
        ],
      },
      traffic: { model: 'mmpp', rates: [200, 900], meanDwellS: [2, 0.5] },
      durationS: 30,
      warmupS: 2,
      seed,
    });
    const a = JSON.stringify(simulate(spec(7)));
    const b = JSON.stringify(simulate(spec(7)));
    assert.equal(a, b);
    assert.notEqual(JSON.stringify(simulate(spec(8))), a);
    littleHolds(JSON.parse(a) as SimulationResult);
  });
});
