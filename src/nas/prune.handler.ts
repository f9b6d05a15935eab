/**
 * Job kind `prune`: pruning search on a registered model (what `POST /v1/prune` queues; spec in
 * core/prune-spec.ts). Loads the model and its data set through the registry port, runs
 * `pruneSearch` (core/pruning/prune-search.ts), registers one model per budget (lineage: the
 * source model) unless `register` is false, and writes the search record as `prune.json`.
 */
import * as tf from '@tensorflow/tfjs';
import { measureLatency } from '../ml/cost';
import { UnprocessableError } from '../platform/errors/domain-error';
import {
  JobCancelledError,
  JobContext,
  JobHandler,
  SpecReference,
} from '../platform/jobs/job-handler';
import { PrunedModel, pruneSearch } from './core/pruning/prune-search';
import { PruneJobResult, PruneJobSpec, validatePruneSpec } from './core/pruning/prune-spec';
import { NasModelPort } from './nas-model.port';

export class PruneJobHandler implements JobHandler<PruneJobSpec, PruneJobResult> {
  readonly kind = 'prune';
  readonly references: readonly SpecReference[] = [
    { field: 'model', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(private readonly port: NasModelPort) {}

  validate(spec: unknown): PruneJobSpec {
    return validatePruneSpec(spec);
  }

  async run(spec: PruneJobSpec, ctx: JobContext): Promise<PruneJobResult> {
    const loaded = await this.port.loadModel(ctx.projectId, spec.model);
    let family: PrunedModel[] = [];
    try {
      const datasetId = spec.dataset ?? loaded.datasetId;
      if (!datasetId)
        throw new UnprocessableError(
          'the model has no training data set on record; give "dataset"',
          [{ field: 'dataset', message: 'required for this model' }],
        );
      const data = await this.port.loadTrainingData(ctx.projectId, datasetId, {
        validationFraction: spec.validationFraction,
        seed: spec.seed,
        sequenceLength: loaded.model.inputs[0].shape[1] ?? undefined,
        ...(loaded.encoding && { encoding: loaded.encoding }),
      });
      try {
        const result = await pruneSearch(loaded.model, {
          train: data.train,
          validation: data.validation,
          budgets: spec.budgets,
          metric: spec.metric,
          stepFraction: spec.stepFraction,
          stepFineTuneEpochs: spec.stepFineTuneEpochs,
          fineTuneEpochs: spec.fineTuneEpochs,
          batchSize: spec.batchSize,
          learningRate: spec.learningRate,
          seed: spec.seed,
          layers: spec.layers,
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
            row.modelId = (
              await this.port.registerModel(ctx.projectId, {
                name: `${loaded.name}-pruned-${Math.round(f.budget * 100)}pct-${spec.metric}`,
                model: f.model,
                datasetId,
                parentModelId: spec.model,
                jobId: ctx.jobId,
                metrics: { accuracy: f.accuracy, params: f.cost.params, flops: f.cost.flops },
                ...(data.normalise && { preprocessing: { normalise: data.normalise } }),
              })
            ).id;
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

function familyRow(f: PrunedModel): PruneJobResult['family'][number] {
  return {
    budget: f.budget,
    target: f.target,
    met: f.met,
    ...f.cost,
    accuracy: f.accuracy,
    widths: f.widths,
    allocation: f.allocation,
  };
}
