import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type request from 'supertest';
import { CliError } from '../../src/cli/client';
import { readRequestFile } from '../../src/cli/commands/sim';
import { startTestApp, TestApp } from '../support/app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

const root = path.resolve(__dirname, '..', '..');
const example = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(root, 'examples', 'jizhi', name), 'utf8'));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const run = promisify(execFile);

/** examples/jizhi/simulate.json shortened from 600 s to 20 s (30k requests). */
function shortSimulation() {
  return { ...example('simulate.json'), durationS: 20, warmupS: 2 };
}

/** Two stages: `front` (2 servers, exponential 1 ms) then `dnn` (batching servers). */
function smallPipeline(dnnInstances = 1) {
  return {
    name: 'small',
    stages: [
      { id: 'front', instances: 2, service: { dist: 'exponential', fixedMs: 1 }, next: ['dnn'] },
      {
        id: 'dnn',
        instances: dnnInstances,
        batch: { maxSize: 8, maxDelayMs: 2 },
        service: { dist: 'deterministic', fixedMs: 4, perItemMs: 0.5 },
      },
    ],
  };
}

/** supertest parser collecting the raw bytes (at run time `res` is the response stream). */
function binaryParser(
  res: request.Response,
  done: (err: Error | null, body: Buffer) => void,
): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('JIZHI simulator REST and CLI e2e (real app, PostgreSQL, workers)', () => {
  let app: TestApp;
  let simulationId = '';
  before(async () => {
    // A simulation keeps its worker's event loop busy for seconds at a time; on a loaded machine
    // that outlasted the suite's 3 s heartbeat timeout and the job failed "heartbeat lost" after
    // 3 attempts. No test here kills a worker, so a long timeout costs nothing.
    app = await startTestApp({
      workers: 2,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
  });
  after(async () => {
    await app?.close();
  });

  async function jobCount(): Promise<number> {
    return (await app.get('/v1/jobs?limit=1').expect(200)).body.total;
  }

  test('a simulation of examples/jizhi/simulate.json (20 s) succeeds with downloadable PNG charts', async () => {
    const body = shortSimulation();
    const created = await app
      .post('/v1/simulations', body)
      .set('Idempotency-Key', 'sim-e2e-1')
      .expect(202);
    assert.equal(created.body.status, 'queued');
    // The stored request is the normalised spec: the schema's defaults are filled in.
    assert.deepEqual(created.body.request.traffic, { phaseS: 0, ...body.traffic });
    const again = await app
      .post('/v1/simulations', body)
      .set('Idempotency-Key', 'sim-e2e-1')
      .expect(202);
    assert.equal(again.body.id, created.body.id, 'same Idempotency-Key, same simulation');
    simulationId = created.body.id;

    await app.waitForJob(simulationId, (j) => j.status === 'succeeded');
    const sim = (await app.get(`/v1/simulations/${simulationId}`).expect(200)).body;
    const r = sim.result;
    assert.equal(r.pipeline, 'recommender');
    // Diurnal traffic, mean 1500 req/s over [2, 20) s: ~27k arrivals counted (Poisson noise).
    assert.ok(r.requests.arrived > 20_000 && r.requests.arrived < 35_000, r.requests.arrived);
    assert.ok(
      r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p99,
      JSON.stringify(r.latencyMs),
    );
    assert.ok(r.latencyMs.p99 <= r.latencyMs.p999);
    assert.equal(r.latencyHistogram.counts.length + 1, r.latencyHistogram.edgesMs.length);
    assert.deepEqual(
      r.stages.map((s: { id: string }) => s.id),
      ['feature-fetch', 'embedding-lookup', 'dnn', 're-rank'],
    );
    // Cost: 6 x 0.2 + 4 x 0.5 + 3 x 2.5 + 3 x 0.3 = 11.6 per hour, 16 instances (docs/jizhi-sim.md).
    assert.deepEqual(r.cost, { instances: 16, perHour: 11.6 });
    // Little's law L = lambda W holds on every run (the core's own check, echoed in the result).
    assert.ok(r.littleLaw.relativeError < 1e-3, JSON.stringify(r.littleLaw));
    assert.ok(Array.isArray(r.queueLengths.timesS) && 'dnn' in r.queueLengths.byStage);

    const names = sim.artifacts.map((a: { name: string }) => a.name).sort();
    assert.deepEqual(names, ['latency-cdf.png', 'utilisation.png']);
    for (const a of sim.artifacts) {
      const png = await app.get(a.url).buffer(true).parse(binaryParser).expect(200);
      assert.match(png.headers['content-type'], /image\/png/);
      assert.deepEqual((png.body as Buffer).subarray(0, 8), PNG_SIGNATURE);
      assert.equal((png.body as Buffer).length, a.size);
    }
  });

  test('tenant isolation: another project, or another kind under the id, is a 404', async () => {
    assert.ok(simulationId, 'the simulation test ran first');
    const otherKey = await app.createKey('sim-other-team');
    const foreign = await app.get(`/v1/simulations/${simulationId}`, otherKey).expect(404);
    assert.match(foreign.body.detail, /simulation .* not found/);
    await app.get(`/v1/tunings/${simulationId}`).expect(404);
    const noop = await app.post('/v1/jobs', { kind: 'noop' }).expect(202);
    await app.get(`/v1/simulations/${noop.body.id}`).expect(404);
    const badId = await app.get('/v1/simulations/not-a-uuid').expect(400);
    assert.equal(badId.body.errors[0].field, 'id');
  });

  test('an unstable pipeline is a 422 naming the stage, and no job is queued', async () => {
    const before = await jobCount();
    // dnn: one server, batches of 8 take 4 + 8 x 0.5 = 8 ms -> 1000 req/s capacity < 1200 offered.
    const res = await app
      .post('/v1/simulations', {
        pipeline: smallPipeline(1),
        traffic: { model: 'poisson', rateRps: 1200 },
        durationS: 10,
      })
      .expect(422);
    assert.match(res.headers['content-type'], /application\/problem\+json/);
    assert.equal(res.body.errors[0].field, 'pipeline.stages[1]');
    assert.match(res.body.errors[0].message, /stage "dnn" is unstable: utilisation 1\.200 >= 1/);
    assert.equal(await jobCount(), before);
  });

  test('POST /v1/simulations:validate answers {valid, problems} with the submit rules and queues nothing', async () => {
    const before = await jobCount();
    const ok = await app
      .post('/v1/simulations:validate', {
        pipeline: smallPipeline(2),
        traffic: { model: 'poisson', rateRps: 100 },
        durationS: 10,
      })
      .expect(200);
    assert.deepEqual(ok.body, { valid: true, problems: [] });
    const unstable = await app
      .post('/v1/simulations:validate', {
        pipeline: smallPipeline(1),
        traffic: { model: 'poisson', rateRps: 1200 },
        durationS: 10,
      })
      .expect(200);
    assert.equal(unstable.body.valid, false);
    assert.deepEqual(unstable.body.problems[0].field, 'pipeline.stages[1]');
    assert.equal(unstable.body.problems[0].kind, 'unprocessable');
    const dangling = smallPipeline(2);
    dangling.stages[0].next = ['nope'];
    const bad = await app
      .post('/v1/simulations:validate', {
        pipeline: dangling,
        traffic: { model: 'poisson', rateRps: 100 },
        durationS: 10,
      })
      .expect(200);
    assert.equal(bad.body.valid, false);
    assert.equal(bad.body.problems[0].kind, 'validation');
    assert.match(bad.body.problems[0].field, /^pipeline\.stages\[0\]\.next/);
    assert.equal(await jobCount(), before);
  });

  test('malformed pipelines are 400s naming the field: cycle, unknown reference, negative rate', async () => {
    const before = await jobCount();
    const cyclic = smallPipeline(2);
    (cyclic.stages[1] as { next?: string[] }).next = ['front'];
    const cycle = await app
      .post('/v1/simulations', {
        pipeline: cyclic,
        traffic: { model: 'poisson', rateRps: 100 },
        durationS: 10,
      })
      .expect(400);
    assert.equal(cycle.body.errors[0].field, 'pipeline.stages');
    assert.match(cycle.body.errors[0].message, /cycle through front, dnn/);

    const dangling = smallPipeline(2);
    dangling.stages[0].next = ['nope'];
    const unknown = await app
      .post('/v1/simulations', {
        pipeline: dangling,
        traffic: { model: 'poisson', rateRps: 100 },
        durationS: 10,
      })
      .expect(400);
    assert.equal(unknown.body.errors[0].field, 'pipeline.stages[0].next[0]');
    assert.match(unknown.body.errors[0].message, /unknown stage "nope"/);

    const negative = await app
      .post('/v1/simulations', {
        pipeline: smallPipeline(2),
        traffic: { model: 'poisson', rateRps: -5 },
        durationS: 10,
      })
      .expect(400);
    assert.equal(negative.body.errors[0].field, 'traffic.rateRps');

    const noDuration = await app
      .post('/v1/simulations', {
        pipeline: smallPipeline(2),
        traffic: { model: 'poisson', rateRps: 100 },
      })
      .expect(400);
    assert.equal(noDuration.body.errors[0].field, 'durationS');

    const badSpace = await app
      .post('/v1/tunings', {
        pipeline: smallPipeline(2),
        traffic: { model: 'poisson', rateRps: 100 },
        slo: { p99Ms: 50 },
        space: [{ stage: 'ghost', param: 'instances', low: 1, high: 3 }],
        budget: { trials: 3 },
      })
      .expect(400);
    assert.equal(badSpace.body.errors[0].field, 'space[0].stage');
    assert.equal(await jobCount(), before);
  });

  test('typos are 400 problem+json naming the path and the key meant (bacth, queue.capacty), on every route', async () => {
    const before = await jobCount();
    const typos = smallPipeline(2) as ReturnType<typeof smallPipeline> & {
      stages: Record<string, unknown>[];
    };
    typos.stages[1].bacth = { maxSize: 4 };
    typos.stages[0].queue = { capacty: 3 };
    const body = { pipeline: typos, traffic: { model: 'poisson', rateRps: 100 }, durationS: 10 };
    const expectTypos = (problems: { field: string; message: string }[]) => {
      const byField = new Map(problems.map((p) => [p.field, p.message]));
      assert.match(byField.get('pipeline.stages[1].bacth') ?? '', /did you mean "batch"\?/);
      assert.match(
        byField.get('pipeline.stages[0].queue.capacty') ?? '',
        /did you mean "capacity"\?/,
      );
    };
    const simulation = await app.post('/v1/simulations', body).expect(400);
    assert.match(simulation.headers['content-type'], /application\/problem\+json/);
    expectTypos(simulation.body.errors);
    const tuneBody = {
      ...body,
      slo: { p99Ms: 50 },
      space: [{ stage: 'dnn', param: 'instances', low: 1, high: 3 }],
      budget: { trials: 3 },
    };
    const tuning = await app.post('/v1/tunings', tuneBody).expect(400);
    expectTypos(tuning.body.errors);
    for (const [route, sent] of [
      ['/v1/simulations:validate', body],
      ['/v1/tunings:validate', tuneBody],
    ] as const) {
      const validated = await app.post(route, sent).expect(200);
      assert.equal(validated.body.valid, false);
      expectTypos(validated.body.problems);
    }
    // A top-level typo in the pipeline is caught too.
    const top = await app
      .post('/v1/simulations', { ...body, pipeline: { ...smallPipeline(2), stagse: [] } })
      .expect(400);
    assert.equal(top.body.errors[0].field, 'pipeline.stagse');
    assert.match(top.body.errors[0].message, /did you mean "stages"\?/);
    assert.equal(await jobCount(), before);
  });

  test('a small tuning succeeds: its best config meets the SLO and is the cheapest feasible one tried', async () => {
    const slo = { p99Ms: 40, maxDropRate: 0.001 };
    const created = await app
      .post('/v1/tunings', {
        pipeline: smallPipeline(4),
        traffic: { model: 'poisson', rateRps: 400 },
        slo,
        space: [
          { stage: 'front', param: 'instances', low: 1, high: 4 },
          { stage: 'dnn', param: 'instances', low: 1, high: 4 },
        ],
        budget: { trials: 12 },
        seeds: 1,
        sampler: 'grid',
        durationS: 20,
        warmupS: 2,
      })
      .expect(202);
    await app.waitForJob(created.body.id, (j) => j.status === 'succeeded');
    const t = (await app.get(`/v1/tunings/${created.body.id}`).expect(200)).body;
    const r = t.result;
    assert.ok(r.best, 'a configuration met the SLO');
    assert.equal(r.best.feasible, true);
    assert.ok(r.best.p99Ms <= slo.p99Ms && r.best.dropRate <= slo.maxDropRate);
    const feasibleCosts = r.history
      .filter((h: { feasible: boolean }) => h.feasible)
      .map((h: { cost: number }) => h.cost);
    assert.equal(r.best.cost, Math.min(...feasibleCosts));
    // No stage has a price, so cost = instances; the current config has 2 + 4 = 6.
    assert.equal(r.current.cost, 6);
    assert.ok(r.best.cost <= r.current.cost);
    const saving = (r.current.cost - r.best.cost) / r.current.cost;
    assert.ok(Math.abs(r.savingVsCurrent - saving) < 1e-6, `${r.savingVsCurrent} vs ${saving}`);
    assert.deepEqual(
      t.artifacts.map((a: { name: string }) => a.name),
      ['pareto.png'],
    );
    const png = await app.get(t.artifacts[0].url).buffer(true).parse(binaryParser).expect(200);
    assert.deepEqual((png.body as Buffer).subarray(0, 8), PNG_SIGNATURE);
  });

  test('POST /v1/ring answers the RSPS table: T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge)', async () => {
    const res = await app
      .post('/v1/ring', { tCalcMs: 100, tTransmitMs: 20, tMergeMs: 5, gpus: [1, 4] })
      .expect(200);
    // Hand-computed: T(4) = 100 + 0.75 x 45 = 133.75 ms, S(4) = 400 / 133.75 = 2.99065.
    assert.deepEqual(
      res.body.rows.map((r: { iterationMs: number; speedup: number }) => [
        r.iterationMs,
        r.speedup,
      ]),
      [
        [100, 1],
        [133.75, 2.99065],
      ],
    );
    // Without jitter the simulated ring equals the formula.
    assert.equal(res.body.rows[1].simulatedIterationMs, 133.75);
    assert.equal(res.body.efficiencyLimit, 100 / 145);
    const bad = await app
      .post('/v1/ring', { tCalcMs: 100, tTransmitMs: 20, tMergeMs: 5, gpus: [0] })
      .expect(400);
    assert.equal(bad.body.errors[0].field, 'gpus[0]');
  });

  describe('CLI (autodl sim, from source) against the test app', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-sim-cli-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    function cli(args: string[]) {
      return run(
        process.execPath,
        ['-r', sourceLoader(), path.join(root, 'src', 'cli', 'autodl.ts'), ...args],
        {
          cwd: root,
          env: { ...process.env, AUTODL_URL: app.url, AUTODL_HOME: app.home },
          timeout: 600_000,
        },
      );
    }

    test('autodl sim run --config simulate.json --json prints the finished simulation', async () => {
      const file = path.join(dir, 'simulate.json');
      fs.writeFileSync(file, JSON.stringify({ ...shortSimulation(), durationS: 10, warmupS: 1 }));
      const { stdout } = await cli(['sim', 'run', '--config', file, '--json']);
      const sim = JSON.parse(stdout);
      assert.equal(sim.status, 'succeeded');
      assert.equal(sim.result.pipeline, 'recommender');
      assert.ok(sim.result.latencyMs.p99 > 0);
      assert.equal(sim.artifacts.length, 2);
    });

    test('autodl sim ring prints the speedup table (T(4) = 133.75 ms, S(4) = 2.991)', async () => {
      const { stdout } = await cli([
        'sim',
        'ring',
        '--calc',
        '100',
        '--transmit',
        '20',
        '--merge',
        '5',
        '--gpus',
        '1,2,4,8',
      ]);
      assert.match(stdout, /GPUS\s+ITERATIONMS\s+SPEEDUP/);
      assert.match(stdout, /\n4\s+133\.750\s+2\.991/);
    });

    test('a 4xx answer is a CLI error naming the field, exit code 1, no stack trace', async () => {
      const cyclic = smallPipeline(2);
      (cyclic.stages[1] as { next?: string[] }).next = ['front'];
      const cycleFile = path.join(dir, 'cycle.json');
      fs.writeFileSync(
        cycleFile,
        JSON.stringify({
          pipeline: cyclic,
          traffic: { model: 'poisson', rateRps: 50 },
          durationS: 5,
        }),
      );
      await assert.rejects(
        cli(['sim', 'run', '--config', cycleFile]),
        (e: { code: number; stderr: string }) => {
          assert.equal(e.code, 1);
          assert.match(
            e.stderr,
            /error: 400 .*\n\s+- pipeline\.stages: the stage graph has a cycle through front, dnn/,
          );
          assert.doesNotMatch(e.stderr, /at .*\.ts:\d+/);
          return true;
        },
      );
    });

    test('request files: a missing file, invalid JSON and a bare pipeline are clear errors', () => {
      assert.throws(
        () => readRequestFile(path.join(dir, 'absent.json'), 'a request'),
        (e: unknown) => e instanceof CliError && /absent\.json: no such file/.test(e.message),
      );
      const broken = path.join(dir, 'broken.json');
      fs.writeFileSync(broken, '{"pipeline": ');
      assert.throws(() => readRequestFile(broken, 'a request'), /is not valid JSON/);
      const bare = path.join(dir, 'bare.json');
      fs.writeFileSync(bare, JSON.stringify(smallPipeline(2)));
      assert.throws(() => readRequestFile(bare, '{pipeline, traffic}'), /is a bare pipeline/);
    });
  });
});
