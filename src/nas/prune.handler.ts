/**
 * Job kind `prune`: pruning search on a registered model (what `POST /v1/prune` queues; schema in
 * prune.schema.ts). Loads the model and its data set through the registry port, runs
 * `pruneSearch` (core/pruning/prune-search.ts), registers one model per budget (lineage: the
 * source model) unless `register` is false, and writes the search record as `prune.json`.
 */
import * as tf from '@tensorflow/tfjs';
import { measureLatency } from '../ml/latency';
import { UnprocessableError } from '../platform/errors/domain-error';
import {
  JobCancelledError,
  JobContext,
  JobHandler,
  SpecReference,
} from '../platform/jobs/job-handler';
import { PrunedModel, pruneSearch } from './core/pruning/prune-search';
import type { PruneJobResult, PruneJobSpec } from './core/pruning/prune-spec';
import { NasModelPort } from './nas-model.port';
import { familyRow, registerPruned } from './prune-family';
import { pruneSpec } from './prune.schema';

export class PruneJobHandler implements JobHandler<PruneJobSpec, PruneJobResult> {
  readonly kind = 'prune';
  readonly references: readonly SpecReference[] = [
    { field: 'model', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(private readonly port: NasModelPort) {}

  validate(spec: unknown): PruneJobSpec {
    return pruneSpec.parse(spec);
  }

  async run(spec: PruneJobSpec, ctx: JobContext): Promise<PruneJobResult> {
    const loaded = await this.port.loadModel(ctx.projectId, spec.model);
    let family: PrunedModel[] = [];
    try {
      const datasetId = spec.dataset ?? loaded.datasetId ?? noDataset();
      const data = await this.port.loadTrainingData(ctx.projectId, datasetId, {
        validationFraction: spec.validationFraction,
        seed: spec.seed,
        sequenceLength: loaded.model.inputs[0].shape[1] ?? undefined,
        ...(loaded.encoding && { encoding: loaded.encoding }),
      });
      try {
        const { model: _m, dataset: _d, register: _r, validationFraction: _v, ...search } = spec;
        const result = await pruneSearch(loaded.model, {
          ...search,
          train: data.train,
          validation: data.validation,
          ...(spec.metric === 'latencyMs' && {
            measureLatency: (m: tf.LayersModel) =>
              measureLatency(m, { batchSize: 1, runs: 10, warmup: 2 }).medianMs,
          }),
          shouldStop: () => ctx.cancelled,
          onProgress: (f, m) => ctx.progress(f, m),
        });
        family = result.family;
        if (ctx.cancelled) throw new JobCancelledError();
        const out: PruneJobResult = {
          metric: result.metric,
          original: { ...result.original.cost, accuracy: result.original.accuracy },
          family: [],
          steps: result.steps,
        };
        for (const f of family) {
          const row = familyRow(f);
          if (spec.register)
            row.modelId = await registerPruned(this.port, ctx, f, spec, {
              loaded,
              datasetId,
              data,
            });
          out.family.push(row);
          await ctx.log(
            `budget ${f.budget}: ${f.cost.flops} FLOPs, accuracy ${f.accuracy.toFixed(4)}`,
          );
        }
        await ctx.artifact('prune.json', JSON.stringify(out, null, 2), 'application/json');
        return out;
      } finally {
        data.dispose();
      }
    } finally {
      for (const f of family) f.model.dispose();
      loaded.model.dispose();
    }
  }
}

function noDataset(): never {
  throw new UnprocessableError('the model has no training data set on record; give "dataset"', [
    { field: 'dataset', message: 'required for this model' },
  ]);
}
