import {
  JobCancelledError,
  type JobContext,
  type JobHandler,
  type SpecReference,
} from '../platform/jobs/job-handler';
import { explainInstance, explanationJson } from './core/explain-instance';
import {
  assertLabelsFit,
  explanationSummary,
  resumeExplain,
  type ExplainCheckpoint,
  type ExplainResult,
} from './core/explain-report';
import type { ExplainableModel } from './core/explainable-model';
import { coerceInstances, sampleInstances } from './core/instances';
import type { RgbImage } from './core/types';
import { explainSpec, type ExplainSpec } from './explanation-specs.schema';
import { explanationPng, inputPng } from './explanation-pngs';
import { withLoadedModel, type PredictProvider } from './predict-provider';

export type { ExplainResult } from './core/explain-report';
export type { ExplainSpec } from './explanation-specs.schema';

/**
 * Job kind `explain`: LIME for the given instances (or a seeded sample of the data set), with
 * fidelity, AOPC vs random and PNGs. Checkpoints after each instance; a resumed attempt goes on
 * from the first instance not yet explained.
 */
export class ExplainJobHandler implements JobHandler<ExplainSpec, ExplainResult> {
  readonly kind = 'explain';
  readonly references: readonly SpecReference[] = [
    { field: 'model', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(private readonly models: PredictProvider) {}

  /** The kind's schema: fields named as in the request (/v1/jobs adds `spec.`), defaults filled. */
  validate(spec: unknown): ExplainSpec {
    return explainSpec.parse(spec, '');
  }

  run(spec: ExplainSpec, ctx: JobContext): Promise<ExplainResult> {
    return withLoadedModel(this.models, spec, ctx, (model) => this.explainWith(model, spec, ctx));
  }

  private async explainWith(
    model: ExplainableModel,
    spec: ExplainSpec,
    ctx: JobContext,
  ): Promise<ExplainResult> {
    const instances = spec.instances
      ? coerceInstances(model, spec.instances)
      : sampleInstances(model, spec.sampleSize ?? 1, spec.parameters.seed);
    assertLabelsFit(model, spec.labels);
    const { done, artifacts } = resumeExplain(ctx.resumeFrom);
    for (let i = done.length; i < instances.length; i++) {
      if (ctx.cancelled) throw new JobCancelledError();
      const r = await explainInstance(model, instances[i], spec.parameters, i, spec.labels?.[i]);
      const name = `explanation-${i}.png`;
      await ctx.artifact(name, explanationPng(model, instances[i], r), 'image/png');
      artifacts.push(name);
      const extra: Record<string, unknown> = {};
      if (model.inputKind === 'image') {
        const input = `input-${i}.png`;
        await ctx.artifact(input, inputPng(instances[i] as RgbImage), 'image/png');
        artifacts.push(input);
        extra.input = input;
      }
      done.push({ instance: i, ...explanationJson(model, r), artifact: name, ...extra });
      await ctx.metric('fidelity', i, r.explanation.score);
      await ctx.metric('aopc', i, r.faithfulness.aopc);
      await ctx.metric('aopc_random', i, r.faithfulness.randomAopc);
      await ctx.checkpoint({ done, artifacts } satisfies ExplainCheckpoint);
      await ctx.progress((i + 1) / instances.length, `explained ${i + 1}/${instances.length}`);
    }
    return {
      model: spec.model,
      inputKind: model.inputKind,
      classNames: model.classNames,
      explanations: done,
      summary: explanationSummary(done),
      artifacts,
    };
  }
}
