import {
  JobCancelledError,
  type JobContext,
  type JobHandler,
  type SpecReference,
} from '../platform/jobs/job-handler';
import { explainInstance } from './core/explain-instance';
import type { ExplainableModel } from './core/explainable-model';
import { coerceInstances, sampleInstances } from './core/instances';
import {
  aggregateNormLime,
  inputName,
  localRecord,
  localSummary,
  rankFeatures,
  type ExplainedImage,
  type LocalRecord,
  type NormLimeJobResult,
} from './core/normlime-report';
import type { ImageExplanation, RgbImage } from './core/types';
import { normLimeSpec, type NormLimeSpec } from './explanation-specs.schema';
import { classImportancePng, conceptMapPng, inputPng } from './explanation-pngs';
import { withLoadedModel, type PredictProvider } from './predict-provider';

export type { ClassImportance, NormLimeJobResult } from './core/normlime-report';
export type { NormLimeSpec } from './explanation-specs.schema';

/**
 * Job kind `normlime`: LIME over a set of instances aggregated into class-level global importance
 * (Ahern et al. 2019; core/normlime-report.ts). Tabular/text jobs checkpoint after each instance;
 * image jobs restart from the first instance (segment maps are too large to checkpoint).
 */
export class NormLimeJobHandler implements JobHandler<NormLimeSpec, NormLimeJobResult> {
  readonly kind = 'normlime';
  readonly references: readonly SpecReference[] = [
    { field: 'model', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(private readonly models: PredictProvider) {}

  /** The kind's schema: fields named as in the request (/v1/jobs adds `spec.`), defaults filled. */
  validate(spec: unknown): NormLimeSpec {
    return normLimeSpec.parse(spec, '');
  }

  run(spec: NormLimeSpec, ctx: JobContext): Promise<NormLimeJobResult> {
    return withLoadedModel(this.models, spec, ctx, (model) => this.explainWith(model, spec, ctx));
  }

  private async explainWith(
    model: ExplainableModel,
    spec: NormLimeSpec,
    ctx: JobContext,
  ): Promise<NormLimeJobResult> {
    const instances = spec.instances
      ? coerceInstances(model, spec.instances)
      : sampleInstances(model, spec.sampleSize, spec.parameters.seed);
    const isImage = model.inputKind === 'image';
    const resumed = !isImage
      ? (ctx.resumeFrom as { local?: LocalRecord[] } | undefined)?.local
      : undefined;
    const local: LocalRecord[] = resumed ? [...resumed] : [];
    const images: ExplainedImage[] = [];
    for (let i = local.length; i < instances.length; i++) {
      if (ctx.cancelled) throw new JobCancelledError();
      const r = await explainInstance(model, instances[i], spec.parameters, i);
      local.push(localRecord(r));
      if (isImage)
        images.push({
          image: instances[i] as RgbImage,
          explanation: r.explanation as ImageExplanation,
        });
      else await ctx.checkpoint({ local });
      await ctx.progress((i + 1) / instances.length, `explained ${i + 1}/${instances.length}`);
    }
    const { features, result, conceptMaps, concepts } = aggregateNormLime(model, local, images, {
      numClusters: spec.numClusters,
      seed: spec.parameters.seed,
    });
    const artifacts: string[] = [];
    const store = async (name: string, png: Buffer): Promise<void> => {
      await ctx.artifact(name, png, 'image/png');
      artifacts.push(name);
    };
    for (const { image, weights } of conceptMaps ?? [])
      await store(`concepts-${image}.png`, conceptMapPng(images[image].image, weights));
    for (const image of new Set((concepts ?? []).map((c) => c.image)))
      await store(inputName(image), inputPng(images[image].image));
    const { classes, overall } = rankFeatures(result, features, model.classNames);
    for (const c of classes) {
      if (c.count === 0 || c.ranking.length === 0) continue;
      await store(`normlime-${c.classIndex}.png`, classImportancePng(c.className, c.ranking));
    }
    return {
      model: spec.model,
      inputKind: model.inputKind,
      instances: local.length,
      features,
      classes,
      overall,
      summary: localSummary(local),
      artifacts,
      ...(concepts ? { concepts } : {}),
    };
  }
}
