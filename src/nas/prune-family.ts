/** What a `prune` job keeps of each pruned model: its row in the result, its registry entry. */
import type { JobContext } from '../platform/jobs/job-handler';
import type { PrunedModel } from './core/pruning/prune-search';
import type { PruneJobResult, PruneJobSpec } from './core/pruning/prune-spec';
import type { NasTrainingData } from './core/training-data';
import type { LoadedModel, NasModelPort } from './nas-model.port';

/** One pruned model of a `prune` job, registered with the source model as its parent. */
export async function registerPruned(
  port: Pick<NasModelPort, 'registerModel'>,
  ctx: JobContext,
  f: PrunedModel,
  spec: PruneJobSpec,
  from: { loaded: LoadedModel; datasetId: string; data: NasTrainingData },
): Promise<string> {
  const { loaded, datasetId, data } = from;
  const registered = await port.registerModel(ctx.projectId, {
    name: `${loaded.name}-pruned-${Math.round(f.budget * 100)}pct-${spec.metric}`,
    model: f.model,
    datasetId,
    parentModelId: spec.model,
    jobId: ctx.jobId,
    metrics: { accuracy: f.accuracy, params: f.cost.params, flops: f.cost.flops },
    ...(loaded.encoding?.vocabulary && { vocabulary: loaded.encoding.vocabulary }),
    ...(data.normalise && { preprocessing: { normalise: data.normalise } }),
  });
  return registered.id;
}

export function familyRow(f: PrunedModel): PruneJobResult['family'][number] {
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
