import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, TestApp } from '../support/app';
import { shapesZip } from '../fixtures/data/shapes';
import { TrialSummary } from '../../src/nas/core/nas-report';
import { paretoChart } from '../../src/nas/nas-publish';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

/** Two 8x8 gray classes separable by mean intensity, 12 images each. */
const zip = shapesZip(12);

const SPACE = { type: 'cell-cnn', minBlocks: 1, maxBlocks: 2, baseWidth: 4, denseUnits: 8 };

describe('NAS and pruning through REST (real app, PostgreSQL, workers)', () => {
  let app: TestApp;
  let datasetId: string;
  let nasId: string;

  before(async () => {
    // Training blocks a worker's event loop for whole batches (see models.e2e). One compute
    // worker is enough: the nas job is a driver (coordinator lane) whose candidates run as
    // nas-trial jobs on the compute worker.
    app = await startTestApp({
      workers: 1,
      coordinators: 1,
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    const res = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25' },
      zip,
      'shapes.zip',
    );
    assert.equal(res.status, 201, res.text);
    datasetId = res.body.id;
  });
  after(async () => {
    await app?.close();
  });

  test('a bad spec is a 400 naming every field, and nothing is queued', async () => {
    const res = await app
      .post('/v1/nas', {
        dataset: datasetId,
        space: 'no-such-space',
        strategy: 'annealing',
        budget: { trials: 0, epochsPerTrial: 1 },
      })
      .expect(400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    // The route's body is the spec: problems name its fields (POST /v1/jobs: `spec.<field>`).
    for (const f of ['space', 'strategy', 'budget.trials'])
      assert.ok(fields.includes(f), `${f} in ${fields.join(', ')}`);
    await app.post('/v1/nas', { ...validBody(), dataset: crypto.randomUUID() }).expect(404);
    assert.equal((await app.get('/v1/jobs?kind=nas').expect(200)).body.total, 0);
  });

  function validBody() {
    return {
      dataset: datasetId,
      space: SPACE,
      strategy: 'tpe',
      objective: { kind: 'multi', costs: ['flops'] },
      constraints: [{ metric: 'flops', max: 200_000 }],
      budget: { trials: 3, epochsPerTrial: 1, batchSize: 4, learningRate: 0.01 },
    };
  }

  /** Runs the CLI (text output unless `--json` is among `args`). */
  async function cli(...args: string[]): Promise<string> {
    const main = path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', sourceLoader(), main, '--url', app.url, '--api-key', app.key, ...args],
      { timeout: 600_000 },
    );
    return stdout;
  }

  /** The trial numbers of the text table under the line starting with `title`. */
  function tableTrials(text: string, title: string): number[] {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith(title));
    assert.ok(start >= 0, `no "${title}" in:\n${text}`);
    const out: number[] = [];
    for (const line of lines.slice(start + 2)) {
      if (!/^\d+\s/.test(line)) break;
      out.push(Number(line.split(/\s+/)[0]));
    }
    return out;
  }

  let firstSeed: number;

  test('POST /v1/nas runs 3 trials; GET shows leaderboard, Pareto front and the PNG', async () => {
    const res = await app.post('/v1/nas', validBody()).set('Idempotency-Key', 'nas-1').expect(202);
    const same = await app.post('/v1/nas', validBody()).set('Idempotency-Key', 'nas-1').expect(202);
    assert.equal(same.body.id, res.body.id, 'Idempotency-Key returns the same job');
    nasId = res.body.id;
    const job = await app.waitForJob(nasId, (j) => ['succeeded', 'failed'].includes(j.status));
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const nas = (await app.get(`/v1/nas/${nasId}`).expect(200)).body;
    assert.equal(nas.trials, 3);
    // No seed asked for: a random one was drawn and recorded (the idempotent repeat above still
    // answered with the same job: the request is the same, whatever seed the search drew).
    assert.ok(Number.isInteger(nas.seed) && nas.seed >= 0, `seed ${nas.seed}`);
    assert.equal(nas.spec.seed, undefined);
    firstSeed = nas.seed;
    assert.deepEqual(nas.objectives, ['accuracy', 'flops']);
    assert.ok(nas.leaderboard.length >= 1 && nas.paretoFront.length >= 1);
    // The feasibility guarantee (docs/nas.md): nothing reported breaks the FLOPs budget.
    for (const t of [nas.best, ...nas.leaderboard, ...nas.paretoFront])
      assert.ok(t.flops <= 200_000, `trial ${t.number}: ${t.flops} FLOPs`);
    // Pareto front: no member is dominated by another (higher accuracy and fewer FLOPs).
    for (const a of nas.paretoFront)
      for (const b of nas.paretoFront)
        assert.ok(!(b.accuracy > a.accuracy && b.flops < a.flops), 'front is non-dominated');
    assert.equal(nas.artifacts.paretoPng, `/v1/jobs/${nasId}/artifacts/pareto.png`);
    const png = await app.get(nas.artifacts.paretoPng).buffer(true).expect(200);
    assert.deepEqual([...(png.body as Buffer).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const metrics = (await app.get(`/v1/jobs/${nasId}/metrics?name=flops`).expect(200)).body;
    assert.ok(JSON.stringify(metrics).length > 2);
  });

  test('export retrains the best architecture and registers it with lineage', async () => {
    await app.post(`/v1/nas/${nasId}/export`, { trial: 99 }).expect(422);
    const res = await app.post(`/v1/nas/${nasId}/export`, { trial: 'best', epochs: 2 }).expect(202);
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const nas = (await app.get(`/v1/nas/${nasId}`).expect(200)).body;
    const model = (await app.get(`/v1/models/${job.result?.modelId as string}`).expect(200)).body;
    assert.equal(model.architecture, 'nas:cell-cnn');
    assert.equal(model.lineage.method, 'nas');
    assert.equal(model.lineage.datasetId, datasetId);
    // Same encoding, same input: the registry's count equals the search's cost model.
    assert.equal(model.params, nas.best.params);
    assert.equal(model.flops, nas.best.flops);
    const predicted = await app
      .post(`/v1/models/${model.id}/predict`, { images: [Array(64).fill(0.1)] })
      .expect(200);
    assert.equal(predicted.body.predictions.length, 1);
  });

  test('the seed a search recorded reproduces it: the same candidates, costs and accuracies', async () => {
    const first = (await app.get(`/v1/nas/${nasId}`).expect(200)).body;
    const res = await app.post('/v1/nas', { ...validBody(), seed: first.seed }).expect(202);
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const again = (await app.get(`/v1/nas/${res.body.id}`).expect(200)).body;
    assert.equal(again.seed, first.seed);
    assert.equal(again.spec.seed, first.seed);
    type Row = { number: number; encoding: unknown; flops: number; accuracy?: number };
    const trialsOf = async (url: string) =>
      ((await app.get(url).expect(200)).body as Row[]).map((t) => [
        t.number,
        t.encoding,
        t.flops,
        t.accuracy,
      ]);
    assert.deepEqual(
      await trialsOf(again.artifacts.trialsJson),
      await trialsOf(first.artifacts.trialsJson),
    );
  });

  test('POST /v1/prune registers a family of smaller models from a pretrained one', async () => {
    const pre = await app
      .post('/v1/pretrain', {
        dataset: datasetId,
        architecture: 'small-cnn',
        epochs: 2,
        batchSize: 4,
        learningRate: 0.01,
        seed: 1,
      })
      .expect(202);
    const trained = await app.waitForJob(pre.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(trained.status, 'succeeded', trained.error ?? '');
    const source = (await app.get(`/v1/models/${trained.result?.modelId as string}`).expect(200))
      .body;
    await app.post('/v1/prune', { model: source.id, budgets: [1.5] }).expect(400);
    const res = await app
      .post('/v1/prune', { model: source.id, budgets: [0.5], fineTuneEpochs: 1, batchSize: 4 })
      .expect(202);
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const family = job.result?.family as { flops: number; met: boolean; modelId: string }[];
    assert.equal(family.length, 1);
    assert.ok(family[0].met && family[0].flops <= 0.5 * source.flops, `${family[0].flops} FLOPs`);
    const pruned = (await app.get(`/v1/models/${family[0].modelId}`).expect(200)).body;
    assert.equal(pruned.lineage.baseModelId, source.id);
    assert.equal(pruned.lineage.method, 'prune');
    assert.equal(pruned.flops, family[0].flops, 'registry FLOPs = the search cost model');
    await app
      .post(`/v1/models/${pruned.id}/predict`, { images: [Array(64).fill(0.9)] })
      .expect(200);
  });

  test('POST /v1/prune prunes a residual model (small-resnet) end to end', async () => {
    const pre = await app
      .post('/v1/pretrain', {
        dataset: datasetId,
        architecture: 'small-resnet',
        width: 4,
        epochs: 1,
        batchSize: 4,
        learningRate: 0.01,
        seed: 2,
      })
      .expect(202);
    const trained = await app.waitForJob(pre.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(trained.status, 'succeeded', trained.error ?? '');
    const sourceId = trained.result?.modelId as string;
    const source = (await app.get(`/v1/models/${sourceId}`).expect(200)).body;
    const res = await app
      .post('/v1/prune', { model: sourceId, budgets: [0.6], fineTuneEpochs: 1, batchSize: 4 })
      .expect(202);
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const [member] = job.result?.family as {
      flops: number;
      met: boolean;
      modelId: string;
      widths: Record<string, number>;
    }[];
    assert.ok(member.met && member.flops <= 0.6 * source.flops, `${member.flops} FLOPs`);
    assert.equal(member.widths.stem_conv, member.widths.block1_b_conv, 'Add-tied widths agree');
    const pruned = (await app.get(`/v1/models/${member.modelId}`).expect(200)).body;
    assert.equal(pruned.flops, member.flops);
    await app
      .post(`/v1/models/${pruned.id}/predict`, { images: [Array(64).fill(0.5)] })
      .expect(200);
  });

  test('a params budget: no trial is spent over it; the CLI, pareto.json, pareto.png and the API show one front', async () => {
    // About 3 in 4 candidates of SPACE have more than 200 parameters (8x8x1 input, 2 classes).
    const res = await app
      .post('/v1/nas', {
        dataset: datasetId,
        space: SPACE,
        strategy: 'random',
        constraints: [{ metric: 'params', max: 200 }],
        budget: { trials: 3, epochsPerTrial: 1, batchSize: 4, learningRate: 0.01 },
        seed: 1,
      })
      .expect(202);
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const nas = (await app.get(`/v1/nas/${res.body.id}`).expect(200)).body;
    assert.equal(nas.seed, 1);
    // Every trial of the budget went to a candidate within it, trained; refused ones were re-drawn.
    assert.equal(nas.counts.complete, 3, JSON.stringify(nas.counts));
    assert.equal(nas.counts.infeasible + nas.counts.pruned + nas.counts.failed, 0);
    const trials = (await app.get(nas.artifacts.trialsJson).expect(200)).body as {
      number: number;
      params: number;
      feasible: boolean;
      epochsTrained: number;
      constraints: number[];
    }[];
    assert.equal(trials.length, 3);
    for (const t of trials) {
      assert.ok(t.params <= 200 && t.feasible && t.epochsTrained === 1, JSON.stringify(t));
      assert.deepEqual(t.constraints, [t.params - 200]);
    }
    assert.ok(nas.counts.rejectedDraws > 0, JSON.stringify({ counts: nas.counts, trials }));
    assert.equal(nas.leaderboard.length, 3);
    // One front: pareto.json, the API, the PNG (redrawn from trials.json and the API's front,
    // byte for byte) and the CLI's table list the same trials.
    const front = nas.paretoFront as TrialSummary[];
    assert.ok(front.length >= 1);
    assert.deepEqual(nas.frontCosts, ['flops']);
    assert.deepEqual((await app.get(nas.artifacts.paretoJson).expect(200)).body, front);
    const png = (await app.get(nas.artifacts.paretoPng).buffer(true).expect(200)).body as Buffer;
    const redrawn = paretoChart('cell-cnn', 'flops', trials as unknown as TrialSummary[], front);
    assert.ok(redrawn?.equals(png), 'pareto.png highlights exactly the API front');
    const shown = await cli('nas', 'show', res.body.id);
    assert.match(shown, /^seed {6}1$/m);
    assert.match(
      shown,
      /trials {4}3 \(completed\): 3 complete, 0 infeasible, 0 pruned, 0 failed; \d+ candidates over a params\/FLOPs budget re-drawn/,
    );
    assert.deepEqual(
      tableTrials(shown, 'Pareto front'),
      front.map((t) => t.number),
    );
    assert.deepEqual(
      tableTrials(shown, 'leaderboard'),
      nas.leaderboard.map((t: TrialSummary) => t.number),
    );
  });

  test('`autodl nas run --json` follows the job and prints the results', async () => {
    const main = path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '-r',
        sourceLoader(),
        main,
        '--url',
        app.url,
        '--api-key',
        app.key,
        '--json',
        'nas',
        'run',
        '--dataset',
        'shapes',
        '--space',
        JSON.stringify(SPACE),
        '--strategy',
        'random',
        '--trials',
        '2',
        '--epochs',
        '1',
        '--constraint',
        'params<=5000',
      ],
      { timeout: 600_000 },
    );
    const out = JSON.parse(stdout);
    assert.equal(out.status, 'succeeded');
    assert.equal(out.trials, 2);
    // Two searches without a seed do not share one (random default, recorded on each).
    assert.ok(Number.isInteger(out.seed) && out.seed !== firstSeed, `${out.seed} vs ${firstSeed}`);
    assert.equal(out.spec.strategy.name, 'random');
    for (const t of out.leaderboard) assert.ok(t.params <= 5000, `${t.params} params`);
  });
});
