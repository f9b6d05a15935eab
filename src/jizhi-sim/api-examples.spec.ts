import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../platform/errors/domain-error';
import { RECOMMENDER_PIPELINE, RING_EXAMPLE, SIMULATE_EXAMPLE, TUNE_EXAMPLE } from './api-examples';
import { simulate } from './core/prepare-simulation';
import { ringReport } from './core/ring';
import { tune } from './core/tune/tuner';
import { RingTableDto } from './ring.dto';
import { SimulateJobHandler } from './simulate.handler';
import { ringRequest, simulateSpec, tuneSpec } from './sim-specs.schema';
import { SimulationResultDto } from './simulations.dto';
import { TuneResultDto } from './tunings.dto';
import { TuneJobHandler } from './tune.handler';

const dir = path.resolve(__dirname, '..', '..', 'examples', 'jizhi');
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
const simulateRequest = { pipeline: RECOMMENDER_PIPELINE, ...SIMULATE_EXAMPLE };
const tuneRequest = { pipeline: RECOMMENDER_PIPELINE, ...TUNE_EXAMPLE };

type DtoClass = abstract new () => object;

/** What `@ApiProperty` recorded for a DTO (the source of the OpenAPI schema). */
function documented(dto: DtoClass): Map<string, { required?: boolean; type?: unknown }> {
  const names = (Reflect.getMetadata('swagger/apiModelPropertiesArray', dto.prototype) ??
    []) as string[];
  return new Map(
    names.map((n) => {
      const key = n.slice(1);
      return [key, Reflect.getMetadata('swagger/apiModelProperties', dto.prototype, key) ?? {}];
    }),
  );
}

const isDtoClass = (t: unknown): t is DtoClass =>
  typeof t === 'function' && documented(t as DtoClass).size > 0;

/**
 * A response has the shape its DTO documents: every key it holds is documented, every required
 * documented key is present, and nested objects (and array items) follow their own DTOs.
 */
function assertDocumentedShape(value: unknown, dto: DtoClass, at: string): void {
  assert.ok(typeof value === 'object' && value !== null, `${at} is an object`);
  const props = documented(dto);
  for (const key of Object.keys(value)) assert.ok(props.has(key), `${at}.${key} is undocumented`);
  for (const [key, meta] of props) {
    const v = (value as Record<string, unknown>)[key];
    if (meta.required !== false) assert.ok(key in value, `${at}.${key} is missing`);
    if (v === null || v === undefined || !isDtoClass(meta.type)) continue;
    const items = Array.isArray(v) ? v : [v];
    items.forEach((item, i) =>
      assertDocumentedShape(
        item,
        meta.type as DtoClass,
        `${at}.${key}${Array.isArray(v) ? `[${i}]` : ''}`,
      ),
    );
  }
}

test('the API console examples equal examples/jizhi/*.json (the documented reference requests)', () => {
  assert.deepEqual(RECOMMENDER_PIPELINE, read('recommender.json'));
  assert.deepEqual(simulateRequest, read('simulate.json'));
  assert.deepEqual(tuneRequest, read('tune.json'));
});

test('the examples pass their request schemas; a broken copy is refused naming the field', () => {
  assert.doesNotThrow(() => simulateSpec.parse(simulateRequest, ''));
  assert.doesNotThrow(() => tuneSpec.parse(tuneRequest, ''));
  assert.doesNotThrow(() => ringRequest.parse(RING_EXAMPLE, ''));
  const broken = structuredClone(simulateRequest) as { pipeline: { stages: object[] } };
  broken.pipeline.stages[2] = { ...broken.pipeline.stages[2], instances: 0 };
  assert.throws(
    () => simulateSpec.parse({ ...broken, seed: -1 }, ''),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.problems.map((p) => p.field).join() === 'pipeline.stages[2].instances,seed',
  );
});

test('the OpenAPI bodies are the schemas with the examples, in the 3.0 dialect', () => {
  for (const [spec, example] of [
    [simulateSpec, simulateRequest],
    [tuneSpec, tuneRequest],
    [ringRequest, RING_EXAMPLE],
  ] as const) {
    const doc = spec.openApi() as { example: unknown; properties: Record<string, unknown> };
    assert.deepEqual(doc.example, example);
    const text = JSON.stringify(doc);
    for (const key of ['$ref', '$defs', '"const"', 'discriminator'])
      assert.ok(!text.includes(key), `${key} left in the OpenAPI form`);
  }
  type Node = { properties: Record<string, Node>; items: Node; oneOf: Node[] };
  const stage = (simulateSpec.openApi() as unknown as Node).properties.pipeline.properties.stages
    .items;
  assert.deepEqual(
    stage.properties.service.oneOf.map((b) => b.properties.dist),
    ['deterministic', 'exponential', 'lognormal', 'empirical'].map((d) => ({
      type: 'string',
      enum: [d],
    })),
  );
});

/** A spec as the jobs table stores it (JSON: undefined fields vanish). */
const stored = (spec: object): unknown => JSON.parse(JSON.stringify(spec));

test('the handlers normalise the examples (defaults filled) and accept their own output', () => {
  const sim = new SimulateJobHandler();
  const simSpec = sim.validate(simulateRequest);
  // The schema's defaults are stored: the worker never resolves one.
  const stages = simSpec.pipeline.stages;
  assert.deepEqual(stages[0].service, { ...RECOMMENDER_PIPELINE.stages[0].service, perItemMs: 0 });
  assert.equal(stages[2].cache, undefined);
  assert.deepEqual(
    stages.map((st) => st.pricePerHour),
    RECOMMENDER_PIPELINE.stages.map((st) => st.pricePerHour),
  );
  assert.deepEqual(simSpec.traffic, { ...SIMULATE_EXAMPLE.traffic, phaseS: 0 });
  assert.deepEqual(sim.validate(simSpec), simSpec);
  const tuner = new TuneJobHandler();
  const normalised = stored(tuner.validate(tuneRequest)) as typeof tuneRequest;
  assert.deepEqual(
    { ...normalised, pipeline: RECOMMENDER_PIPELINE },
    { ...tuneRequest, samplerOptions: {}, samplerSeed: TUNE_EXAMPLE.seed },
  );
  assert.deepEqual(stored(tuner.validate(normalised)), normalised);
});

test('the simulate example runs to the documented result: every stage, no truncation, Little holds', () => {
  // A shorter run than the example's 600 s keeps the test fast; the shape is the same.
  const r = simulate(simulateSpec.parse({ ...simulateRequest, durationS: 60, warmupS: 10 }));
  assertDocumentedShape(r, SimulationResultDto, 'result');
  assert.deepEqual(
    r.stages.map((s) => s.id),
    RECOMMENDER_PIPELINE.stages.map((s) => s.id),
  );
  assert.equal(r.truncated, false);
  assert.ok(r.requests.completed > 0.9 * r.requests.arrived, 'most requests complete');
  assert.ok(r.latencyMs.p50 <= r.latencyMs.p99, 'percentiles are ordered');
  assert.ok(r.littleLaw.relativeError < 0.02, `Little's law off by ${r.littleLaw.relativeError}`);
  assert.ok(r.stages[0].cacheHitRatio !== null && r.stages[0].cacheHitRatio > 0, 'LRU hits');
});

test('the tune example runs to the documented result (small budget): history per trial, best meets the SLO', async () => {
  const spec = new TuneJobHandler().validate({
    ...tuneRequest,
    budget: { trials: 6 },
    seeds: 1,
    durationS: 10,
    warmupS: 1,
  });
  const r = await tune(spec);
  assertDocumentedShape(r, TuneResultDto, 'result');
  assert.equal(r.history.length, 6);
  assert.equal(r.trials, 6);
  if (r.best) {
    assert.ok(r.best.feasible && r.best.p99Ms <= TUNE_EXAMPLE.slo.p99Ms);
    assert.ok(r.bestPipeline !== null);
  }
});

test('the ring example answers the documented table, one row per GPU count', () => {
  const table = ringReport(RING_EXAMPLE);
  assertDocumentedShape(table, RingTableDto, 'ring');
  assert.deepEqual(
    table.rows.map((r) => r.gpus),
    RING_EXAMPLE.gpus,
  );
  // S(1) = 1: one GPU computes alone.
  assert.equal(table.rows[0].speedup, 1);
});
