/**
 * The end of a federation: registers the global model (codistill: every site's model, each with
 * lineage to its site's data set) with the federation's lineage in its metrics, and closes the
 * federation row with the final accuracy and the privacy accounting.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../ml/data';
import { evaluate, type Evaluation } from '../ml/train/evaluate';
import type { JobContext } from '../platform/jobs/job-handler';
import { datasetTensors, type InputContract } from '../registry/core/encode';
import { storedEvaluation, type StoredEvaluation } from '../transfer/training-support';
import { fromConfusion, mergeEvaluations } from './core/merge-evaluations';
import type { SiteEvaluation } from './site-placement';
import type { TrainingRegistryPort } from '../registry/model-registry.port';
import { gaussianRdpEpsilon } from './core/differential-privacy';
import type { FederationSpec } from './federation.schema';
import { pooledEvaluation, type FederationOutcome } from './federation-run';
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
    /**
     * classifierCalibration: what the calibration did (its statistics' bytes, the accuracy before
     * and after); `outcome` then holds the calibrated weights and their evaluations.
     */
    calibration?: Record<string, unknown> | null;
    classNames: string[];
    rounds: number;
    backend: string;
    resumedAfterRound: number | null;
    /**
     * Test splits the coordinator may evaluate on itself, for sites that sent no confusion matrix
     * of the final model (codistill's in-process sites; not sites placed in a namespace).
     */
    tests: readonly { name: string; test: Dataset }[];
    contract: InputContract;
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
    sharedDatasetId: spec.sharedDataset ?? null,
    remoteSites,
    rounds: r.rounds,
    privacy,
  };
  const totals = await deps.federations.find(ctx.projectId, ctx.jobId);
  const bytesTotal = totals?.bytesTotal ?? outcome.bytesTotal;
  const name = spec.name ?? `federation-${ctx.jobId.slice(0, 8)}`;
  const entry = (architecture: string, evaluation: StoredEvaluation | null) => ({
    architecture,
    inputKind: 'image' as const,
    classNames,
    preprocessing: {},
    datasetId: null,
    method: `collab-${spec.algorithm}`,
    evaluation: evaluation ? { ...evaluation } : null,
    metrics: {
      ...lineage,
      bytesTotal,
      globalAccuracy: pooled?.accuracy ?? null,
      ...(r.calibration ? { classifierCalibration: r.calibration } : {}),
      backend: r.backend,
    },
  });
  let modelId: string | null = null;
  const siteModels: Record<string, string> = {};
  if (outcome.global) {
    const model = models.global();
    writeWeights(model, outcome.global);
    const evaluation = globalTestEvaluation(model, outcome.final, r.tests, r.contract, classNames);
    const registered =
      (await deps.registry.findByJob(ctx.projectId, ctx.jobId)) ??
      (await deps.registry.registerFromJob(ctx, model, {
        name,
        ...entry(spec.architecture, evaluation),
      }));
    modelId = registered.id;
  } else {
    for (const s of spec.sites) {
      const architecture = s.architecture ?? spec.architecture;
      const own = models.site(s.name);
      const tests = r.tests.filter((t) => t.name === s.name);
      const registered = await deps.registry.registerJobModel(ctx.projectId, ctx.jobId, own, {
        name: `${name}-${s.name}`,
        ...entry(architecture, testEvaluation(own, tests, r.contract, classNames)),
        datasetId: s.dataset,
      });
      siteModels[s.name] = registered.id;
    }
  }
  const summary = {
    globalAccuracy: pooled?.accuracy ?? null,
    final: outcome.final,
    siteModels,
    privacy,
    ...(r.calibration ? { classifierCalibration: r.calibration } : {}),
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

/**
 * The final global model's test evaluation: every site that evaluated it where its data is (site
 * jobs on the pool or in a namespace, remote agents) sent back its confusion matrix; the
 * coordinator adds them (core/merge-evaluations.ts) and evaluates itself only the given splits of
 * sites that sent none. The union of all sites' test splits, and no example crossed.
 */
export function globalTestEvaluation(
  model: tf.LayersModel,
  final: readonly SiteEvaluation[],
  tests: readonly { name: string; test: Dataset }[],
  contract: InputContract,
  classNames: readonly string[],
): StoredEvaluation | null {
  const reported = final.flatMap((e) => {
    const ev = e.confusion && fromConfusion(e.confusion, e.loss);
    return ev ? [ev] : [];
  });
  const covered = new Set(final.filter((e) => e.confusion).map((e) => e.site));
  const own = testEvaluations(
    model,
    tests.filter((t) => !covered.has(t.name)),
    contract,
    classNames,
  );
  const merged = mergeEvaluations([...reported, ...own]);
  return merged && storedEvaluation(merged, classNames);
}

/**
 * The registry's test evaluation of a federated model, as other trained models record theirs: the
 * model evaluated on every given local site's test split (at the site), merged into the
 * evaluation of their union (core/merge-evaluations.ts). Null when no local site has a test split.
 */
export function testEvaluation(
  model: tf.LayersModel,
  tests: readonly { name: string; test: Dataset }[],
  contract: InputContract,
  classNames: readonly string[],
): StoredEvaluation | null {
  const merged = mergeEvaluations(testEvaluations(model, tests, contract, classNames));
  return merged && storedEvaluation(merged, classNames);
}

function testEvaluations(
  model: tf.LayersModel,
  tests: readonly { name: string; test: Dataset }[],
  contract: InputContract,
  classNames: readonly string[],
): Evaluation[] {
  return tests
    .filter((t) => t.test.size > 0)
    .map(({ test }) => {
      const { x, y } = datasetTensors(test, contract);
      try {
        return evaluate(model, x, y, { numClasses: classNames.length });
      } finally {
        x.dispose();
        y.dispose();
      }
    });
}
