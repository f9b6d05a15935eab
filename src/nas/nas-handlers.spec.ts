import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { Dataset } from '../ml/data';
import { modelCost } from '../ml/flops';
import { buildZooModel } from '../ml/zoo/zoo';
import { withLeakCheck } from '../../test/support/tensors';
import { Rng } from '../platform/core/rng';
import {
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import type { ArtifactRef, JobContext } from '../platform/jobs/job-handler';
import { runNas } from './in-process/run-nas';
import { TrialSummary } from './core/nas-report';
import { nasFrontData, paretoChart, publishNasResult } from './nas-publish';
import { loadNasData, resolveNasSpace } from './nas-setup';
import { LoadedModel, NasModelPort, RegisterModelInput } from './nas-model.port';
import { NAS_EXPORT_DEFAULTS } from './core/nas-export-spec';
import { nasExportSpec } from './nas-export.schema';
import { nasTrialSpec } from './nas-trial.schema';
import { nasSpec } from './nas.schema';
import { pruneSpec } from './prune.schema';
import { PruneJobHandler } from './prune.handler';
import { toTrainingData } from './core/training-data';

class FakeContext implements JobContext {
  readonly jobId = 'job-1';
  readonly projectId = 'p';
  readonly attempt = 1;
  readonly resumeFrom = undefined;
  readonly artifacts = new Map<string, Buffer>();
  readonly metrics: Array<[string, number, number]> = [];
  cancelled = false;
  readonly signal = new AbortController().signal;
  async progress(): Promise<void> {}
  async log(): Promise<void> {}
  async metric(name: string, step: number, value: number): Promise<void> {
    this.metrics.push([name, step, value]);
  }
  async checkpoint(): Promise<void> {}
  async artifact(
    name: string,
    data: Buffer | string,
    contentType = 'application/octet-stream',
  ): Promise<ArtifactRef> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.artifacts.set(name, buf);
    return { jobId: this.jobId, name, size: buf.length, sha256: '', contentType };
  }
  async readArtifact(): Promise<Buffer> {
    throw new Error('not used');
  }
}

/** 8x8 images of three classes (a bright row band each) plus noise. */
function bandImages(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const pixels = Array.from({ length: n }, (_, i) => {
    const p = new Float32Array(64);
    for (let k = 0; k < 64; k++)
      p[k] = Math.min(
        1,
        Math.max(0, (Math.floor(k / 24) === i % 3 ? 0.8 : 0.1) + rng.normal(0, 0.1)),
      );
    return p;
  });
  return new Dataset(
    { kind: 'image', shape: { height: 8, width: 8, channels: 1 }, pixels },
    pixels.map((_, i) => i % 3),
    ['top', 'middle', 'bottom'],
  );
}

class FakePort implements NasModelPort {
  readonly registered: RegisterModelInput[] = [];
  constructor(
    private readonly dataset: Dataset,
    private readonly model?: () => tf.LayersModel,
  ) {}
  async loadTrainingData(
    _p: string,
    id: string,
    o: Parameters<NasModelPort['loadTrainingData']>[2],
  ) {
    if (id !== 'ds') throw new NotFoundError('dataset', id);
    return toTrainingData(this.dataset, o);
  }
  async loadModel(_p: string, id: string): Promise<LoadedModel> {
    if (id !== 'm' || !this.model) throw new NotFoundError('model', id);
    return { model: this.model(), name: 'cnn', datasetId: 'ds' };
  }
  async registerModel(_p: string, input: RegisterModelInput): Promise<{ id: string }> {
    this.registered.push({ ...input, model: input.model });
    // What a registry stores: the cost facts read from the model at registration time.
    input.metrics.flopsChecked = modelCost(input.model).flops;
    return { id: `m${this.registered.length}` };
  }
}

function fields(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) return e.problems.map((p) => p.field);
    throw e;
  }
  return [];
}

describe('NAS job handlers', () => {
  test('nas spec validation names every bad field at once: shape first, then what depends on a name', () => {
    const nas = (spec: Record<string, unknown>) => () =>
      nasSpec.parse(
        { dataset: 'ds', space: 'mlp', budget: { trials: 1, epochsPerTrial: 1 }, ...spec },
        '',
      );
    assert.deepEqual(
      fields(
        nas({
          space: 'no-such-space',
          strategy: 'annealing',
          constraints: [{ metric: 'joules', max: 0 }],
          budget: { trials: 0, epochsPerTrial: 1, parallelism: 33 },
          colour: 'red',
        }),
      ).sort(),
      [
        'budget.parallelism',
        'budget.trials',
        'colour',
        'constraints[0].max',
        'constraints[0].metric',
        'space',
        'strategy',
      ],
    );
    assert.deepEqual(
      fields(
        nas({
          space: { type: 'cell-cnn', maxBlocks: 0 },
          strategy: { name: 'tpe', settings: { nStartupTrials: -1 } },
          objective: { kind: 'multi', costs: ['joules'] },
          pruner: { name: 'asha', settings: { reductionFactor: 'x' } },
        }),
      ).sort(),
      [
        'objective.costs[0]',
        'pruner.settings.reductionFactor',
        'space.maxBlocks',
        'strategy.settings.nStartupTrials',
      ],
    );
    const ok = nasSpec.parse({
      dataset: 'ds',
      space: 'mlp',
      budget: { trials: 2, epochsPerTrial: 1 },
    });
    assert.deepEqual(ok.strategy, { name: 'regularized-evolution', settings: {} });
    assert.equal(ok.budget.batchSize, 32);
    assert.deepEqual(ok.objective, { kind: 'accuracy' });
    assert.equal(ok.seed, undefined, 'no seed: the driver draws one');
    // What is stored is what the worker parses again.
    assert.deepEqual(nasSpec.parse(JSON.parse(JSON.stringify(ok))), ok);
    // `{ name }` without settings takes the documented default {} (a default inside a union
    // branch is not applied by the validator, so the refine fills it).
    const named = nasSpec.parse({
      dataset: 'ds',
      space: 'mlp',
      strategy: { name: 'random' },
      pruner: { name: 'median' },
      budget: { trials: 2, epochsPerTrial: 1 },
    });
    assert.deepEqual(named.strategy, { name: 'random', settings: {} });
    assert.deepEqual(named.pruner, { name: 'median', settings: {} });
  });

  test('nas-export and nas-trial specs: defaults stored, re-parsed to themselves, fields named', () => {
    const job = '123e4567-e89b-42d3-a456-426614174000';
    const spec = nasExportSpec.parse({ nasJob: job });
    assert.deepEqual(spec, {
      nasJob: job,
      trial: 'best',
      epochs: NAS_EXPORT_DEFAULTS.epochs,
      batchSize: 32,
      learningRate: 1e-3,
      seed: 0,
    });
    assert.deepEqual(nasExportSpec.parse(spec), spec);
    const named = nasExportSpec.parse({ nasJob: job, trial: 3, epochs: 2, name: 'found-1' });
    assert.deepEqual(nasExportSpec.parse(named), named);
    assert.deepEqual(
      fields(() =>
        nasExportSpec.parse({ nasJob: 'x', trial: -1, epochs: 0, name: '-bad', extra: 1 }),
      ).sort(),
      ['spec.epochs', 'spec.extra', 'spec.name', 'spec.nasJob', 'spec.trial'],
    );
    assert.deepEqual(fields(() => nasTrialSpec.parse({ studyId: 'x', trial: 1.5 })).sort(), [
      'spec.studyId',
      'spec.trial',
    ]);
  });

  test('a tiny search publishes its result: metrics, trials/Pareto artifacts and PNG; no leaks', async () => {
    // The `nas` job's result path (nas-publish.ts) on records of a real in-process search.
    const port = new FakePort(bandImages(60, 1));
    const ctx = new FakeContext();
    const spec = {
      ...nasSpec.parse({
        dataset: 'ds',
        space: { type: 'cell-cnn', baseWidth: 4, maxBlocks: 3 },
        strategy: 'random',
        objective: { kind: 'multi', costs: ['flops'] },
        budget: { trials: 3, epochsPerTrial: 1, batchSize: 16 },
      }),
      seed: 1,
    };
    const result = await withLeakCheck(async () => {
      const data = await loadNasData(port, 'p', spec);
      try {
        const { space } = resolveNasSpace(spec, data);
        const found = await runNas({ ...spec, space, data });
        return await publishNasResult(ctx, space, spec, found);
      } finally {
        data.dispose();
      }
    });
    assert.equal(result.trials, 3);
    assert.deepEqual(result.objectives, ['accuracy', 'flops']);
    assert.ok(result.paretoFront.length >= 1);
    assert.equal(ctx.metrics.filter(([n]) => n === 'accuracy').length, 3);
    const trials = JSON.parse(ctx.artifacts.get('trials.json')?.toString() ?? '[]') as unknown[];
    assert.equal(trials.length, 3);
    const png = PNG.sync.read(ctx.artifacts.get('pareto.png') as Buffer);
    assert.ok(png.width > 100 && png.height > 100);
    // One front: pareto.json is the result's front, and the PNG is exactly the chart of
    // trials.json with that front highlighted.
    const front = JSON.parse(
      ctx.artifacts.get('pareto.json')?.toString() ?? '[]',
    ) as TrialSummary[];
    assert.deepEqual(front, result.paretoFront);
    const redrawn = paretoChart('cell-cnn', 'flops', trials as TrialSummary[], front);
    assert.ok(redrawn && redrawn.equals(ctx.artifacts.get('pareto.png') as Buffer));
    const drawn = nasFrontData('cell-cnn', 'flops', trials as TrialSummary[], front);
    assert.deepEqual(
      drawn.front.map((p) => p.id),
      front.map((t) => t.number),
    );
    assert.equal(result.seed, 1);
  });

  test('a space that does not fit the data set is a 422, not a crash', async () => {
    const spec = {
      ...nasSpec.parse({ dataset: 'ds', space: 'mlp', budget: { trials: 1, epochsPerTrial: 1 } }),
      seed: 0,
    };
    const data = await loadNasData(new FakePort(bandImages(30, 1)), 'p', spec);
    try {
      assert.throws(() => resolveNasSpace(spec, data), UnprocessableError);
    } finally {
      data.dispose();
    }
  });

  test('prune job registers one model per budget, each within budget, with lineage; no leaks', async () => {
    const port = new FakePort(bandImages(60, 2), () =>
      buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, width: 4, seed: 1 }),
    );
    assert.deepEqual(
      fields(() => pruneSpec.parse({ model: 'm', budgets: [0, 0.5], metric: 'energy' })),
      ['spec.budgets[0]', 'spec.metric'],
    );
    const handler = new PruneJobHandler(port);
    const ctx = new FakeContext();
    const spec = handler.validate({
      model: 'm',
      budgets: [0.5, 0.8],
      fineTuneEpochs: 1,
      stepFraction: 0.25,
    });
    const result = await withLeakCheck(() => handler.run(spec, ctx));
    assert.deepEqual(
      result.family.map((f) => f.budget),
      [0.8, 0.5],
    );
    for (const f of result.family) {
      assert.ok(f.met && f.flops <= f.target);
      assert.ok(f.flops <= f.budget * result.original.flops);
    }
    assert.deepEqual(
      port.registered.map((r) => [r.parentModelId, r.metrics.flops === r.metrics.flopsChecked]),
      [
        ['m', true],
        ['m', true],
      ],
    );
    assert.ok(ctx.artifacts.has('prune.json'));
  });

  test('prune job on a residual model (small-resnet): prunes block convs and Add-tied groups within budget', async () => {
    const port = new FakePort(bandImages(45, 3), () =>
      buildZooModel('small-resnet', { inputShape: [8, 8, 1], numClasses: 3, width: 4, seed: 2 }),
    );
    const handler = new PruneJobHandler(port);
    const spec = handler.validate({ model: 'm', budgets: [0.5], fineTuneEpochs: 1 });
    const result = await withLeakCheck(() => handler.run(spec, new FakeContext()));
    const [f] = result.family;
    assert.ok(f.met && f.flops <= 0.5 * result.original.flops, `${f.flops} FLOPs`);
    assert.equal(port.registered[0].metrics.flopsChecked, f.flops);
    assert.equal(f.widths.block2_b_conv, f.widths.block2_proj_conv);
    // A layer that cannot be pruned (the head: a model output) fails the job, naming it and why.
    const head = handler.validate({ model: 'm', layers: ['head'], register: false });
    await assert.rejects(
      () => handler.run(head, new FakeContext()),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.problems[0].field === 'layers[0]' &&
        /head cannot be pruned.*model output/.test(e.problems[0].message),
    );
  });
});
