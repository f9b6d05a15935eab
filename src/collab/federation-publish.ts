/**
 * The end of a federation: registers the global model (codistill: every site's model, each with
 * lineage to its site's data set) with the federation's lineage in its metrics, and closes the
 * federation row with the final accuracy and the privacy accounting.
 */
import type { JobContext } from '../platform/jobs/job-handler';
import type { TrainingRegistryPort } from '../registry/model-registry.port';
import { gaussianRdpEpsilon } from './core/differential-privacy';
import type { FederationSpec } from './federation.schema';
import { pooledEvaluation, type FederationOutcome } from './federation-run';
import type * as tf from '@tensorflow/tfjs';
import { writeWeights } from './site-training';
import type { FederationsRepository } from './storage/federations.repository';

export async function publishFederation(
  deps: { registry: TrainingRegistryPort; federations: FederationsRepository },
  spec: FederationSpec,
  ctx: JobContext,
  r: {
    /** The global model's shape (weights algorithms) and each site's own model (codistill). */
    models: { global: () => tf.LayersModel; site: (name: string) => tf.LayersModel };
    outcome: FederationOutcome;
    classNames: string[];
    rounds: number;
    backend: string;
    resumedAfterRound: number | null;
  },
): Promise<Record<string, unknown>> {
  const { models, outcome, classNames } = r;
  const pooled = pooledEvaluation(outcome.final);
  const siteDatasetIds = spec.sites.flatMap((s) => (s.dataset ? [s.dataset] : []));
  const remoteSites = spec.sites.filter((s) => s.remote).map((s) => s.name);
  const privacy = spec.dp
    ? {
        ...gaussianRdpEpsilon(spec.dp.noiseMultiplier, r.rounds, spec.dp.delta),
        delta: spec.dp.delta,
        accountant:
          'RDP of the Gaussian mechanism (Mironov 2017), per site, no sampling amplification',
      }
    : null;
  const lineage = {
    federationId: ctx.jobId,
    algorithm: spec.algorithm,
    siteDatasetIds,
    remoteSites,
    rounds: r.rounds,
    privacy,
  };
  const totals = await deps.federations.find(ctx.projectId, ctx.jobId);
  const bytesTotal = totals?.bytesTotal ?? outcome.bytesTotal;
  const name = spec.name ?? `federation-${ctx.jobId.slice(0, 8)}`;
  const entry = (architecture: string) => ({
    architecture,
    inputKind: 'image' as const,
    classNames,
    preprocessing: {},
    datasetId: null,
    method: `collab-${spec.algorithm}`,
    evaluation: null,
    metrics: {
      ...lineage,
      bytesTotal,
      globalAccuracy: pooled?.accuracy ?? null,
      backend: r.backend,
    },
  });
  let modelId: string | null = null;
  const siteModels: Record<string, string> = {};
  if (outcome.global) {
    const model = models.global();
    writeWeights(model, outcome.global);
    const registered =
      (await deps.registry.findByJob(ctx.projectId, ctx.jobId)) ??
      (await deps.registry.registerFromJob(ctx, model, { name, ...entry(spec.architecture) }));
    modelId = registered.id;
  } else {
    for (const s of spec.sites) {
      const architecture = s.architecture ?? spec.architecture;
      const registered = await deps.registry.registerJobModel(
        ctx.projectId,
        ctx.jobId,
        models.site(s.name),
        { name: `${name}-${s.name}`, ...entry(architecture), datasetId: s.dataset },
      );
      siteModels[s.name] = registered.id;
    }
  }
  const summary = {
    globalAccuracy: pooled?.accuracy ?? null,
    final: outcome.final,
    siteModels,
    privacy,
    backend: r.backend,
  };
  await deps.federations.finish(ctx.jobId, modelId, summary);
  await ctx.progress(
    1,
    modelId ? `registered model ${name}` : `registered ${spec.sites.length} site models`,
  );
  return {
    federationId: ctx.jobId,
    modelId,
    modelName: modelId ? name : null,
    rounds: r.rounds,
    bytesTotal,
    resumedAfterRound: r.resumedAfterRound,
    ...summary,
  };
}
