import { Rng } from '../platform/core/rng';
import type { FieldProblem } from '../platform/errors/domain-error';
import {
  JobCancelledError,
  type JobContext,
  type JobHandler,
  type SpecReference,
} from '../platform/jobs/job-handler';
import { barsHeight, barsOption, chartPng } from '../platform/charts/chart-images';
import { heatmapOverlay } from '../platform/images/heatmap-overlay';
import { imageNormLime, normLime, rankByImportance, type NormLimeResult } from './core/normlime';
import type { ImageExplanation, RgbImage } from './core/types';
import {
  asRecord,
  optionalDataset,
  optionalSampleSize,
  parseLimeParameters,
  requireModel,
  unknownFields,
  throwIfProblems,
  type LimeParameters,
} from './explain-spec';
import { coerceInstances, explainInstance, inputPng, sampleInstances } from './explain-runner';
import { encodeSegments } from './core/segments-rle';
import { withLoadedModel } from './model-provider';
import type { ExplainableModel, PredictProvider } from './model-provider';

export interface NormLimeSpec {
  model: string;
  /** A data set id replacing the model's training set (sampling pool, tabular statistics). */
  dataset?: string;
  /** Explicit instances, or else `sampleSize` instances drawn (seeded) from the model's dataset. */
  instances?: unknown[];
  sampleSize: number;
  /** Image models: number of shared superpixel concepts (k-means clusters). */
  numClusters: number;
  parameters: LimeParameters;
}

export interface ClassImportance {
  classIndex: number;
  className: string;
  /** Instances predicted as this class. */
  count: number;
  ranking: { feature: string; importance: number }[];
}

export interface NormLimeJobResult {
  model: string;
  inputKind: string;
  instances: number;
  features: string[];
  classes: ClassImportance[];
  overall: { feature: string; importance: number }[];
  summary: { meanFidelity: number; meanAopc: number; meanRandomAopc: number };
  artifacts: string[];
  /** Image models: each concept shown on the image it comes from (see ConceptExample). */
  concepts?: ConceptExample[];
}

/**
 * A concept drawn where it comes from: the superpixel `segment` of the explained image whose PNG
 * is `input` (its superpixel map is `segments`, run-length encoded, `width` x `height`).
 */
export interface ConceptExample {
  feature: string;
  image: number;
  segment: number;
  input: string;
  width: number;
  height: number;
  segments: number[];
}

interface LocalRecord {
  label: number;
  weights: number[];
  featureNames: string[];
  fidelity: number;
  aopc: number;
  randomAopc: number;
}

export const MAX_NORMLIME_INSTANCES = 5000;
const TOP = 50;

/**
 * Job kind `normlime`: LIME over a set of instances aggregated into class-level global importance
 * (Ahern et al. 2019). Tabular features are the model's columns, text features the union
 * vocabulary, image features shared superpixel concepts. Tabular/text jobs checkpoint after each
 * instance; image jobs restart from the first instance (segment maps are too large to checkpoint).
 */
export class NormLimeJobHandler implements JobHandler<NormLimeSpec, NormLimeJobResult> {
  readonly kind = 'normlime';
  readonly references: readonly SpecReference[] = [
    { field: 'model', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(private readonly models: PredictProvider) {}

  validate(spec: unknown): NormLimeSpec {
    const raw = asRecord(spec);
    const problems: FieldProblem[] = [];
    const model = requireModel(raw, problems);
    // numClusters sits in `parameters` in requests and at the top of the normalised spec.
    unknownFields(
      raw,
      ['model', 'dataset', 'instances', 'sampleSize', 'numClusters', 'parameters'],
      problems,
    );
    let instances: unknown[] | undefined;
    if (raw.instances !== undefined) {
      if (
        !Array.isArray(raw.instances) ||
        raw.instances.length === 0 ||
        raw.instances.length > MAX_NORMLIME_INSTANCES
      ) {
        problems.push({
          field: 'instances',
          message: `must be an array of 1 to ${MAX_NORMLIME_INSTANCES} instances`,
        });
      } else instances = raw.instances;
    }
    const sampleSize = optionalSampleSize(raw, MAX_NORMLIME_INSTANCES, problems) ?? 100;
    const dataset = optionalDataset(raw, problems);
    const params = raw.parameters as Record<string, unknown> | undefined;
    const numClusters = raw.numClusters ?? params?.numClusters ?? 10;
    if (
      typeof numClusters !== 'number' ||
      !Number.isInteger(numClusters) ||
      numClusters < 2 ||
      numClusters > 200
    ) {
      problems.push({
        field: 'parameters.numClusters',
        message: `must be an integer in [2, 200], got ${JSON.stringify(numClusters)}`,
      });
    }
    const parameters = parseLimeParameters(raw.parameters, problems);
    throwIfProblems(problems);
    return {
      model,
      ...(dataset !== undefined ? { dataset } : {}),
      instances,
      sampleSize,
      numClusters: numClusters as number,
      parameters,
    };
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
    const images: { image: RgbImage; explanation: ImageExplanation }[] = [];
    for (let i = local.length; i < instances.length; i++) {
      if (ctx.cancelled) throw new JobCancelledError();
      const r = await explainInstance(model, instances[i], spec.parameters, i);
      const e = r.explanation;
      local.push({
        label: e.label,
        weights: e.weights,
        featureNames: e.featureNames,
        fidelity: e.score,
        aopc: r.faithfulness.aopc,
        randomAopc: r.faithfulness.randomAopc,
      });
      if (isImage)
        images.push({ image: instances[i] as RgbImage, explanation: e as ImageExplanation });
      else await ctx.checkpoint({ local });
      await ctx.progress((i + 1) / instances.length, `explained ${i + 1}/${instances.length}`);
    }
    const numClasses = model.classNames.length;
    let features: string[];
    let result: NormLimeResult;
    const artifacts: string[] = [];
    let concepts: ConceptExample[] | undefined;
    if (model.inputKind === 'tabular') {
      features = model.featureNames;
      result = normLime(local, numClasses, features.length);
    } else if (model.inputKind === 'text') {
      // Local features are per-text vocabularies; NormLIME aggregates over their union.
      const vocab = new Map<string, number>();
      for (const l of local)
        for (const w of l.featureNames) if (!vocab.has(w)) vocab.set(w, vocab.size);
      features = [...vocab.keys()];
      const mapped = local.map((l) => {
        const w = new Array<number>(features.length).fill(0);
        l.weights.forEach((v, j) => (w[vocab.get(l.featureNames[j]) as number] += v));
        return { label: l.label, weights: w };
      });
      result = normLime(mapped, numClasses, features.length);
    } else {
      const r = imageNormLime(images, {
        numClusters: spec.numClusters,
        numClasses,
        rng: new Rng(spec.parameters.seed).fork('kmeans'),
      });
      features = r.centres.map((_, c) => `concept ${c}`);
      result = r;
      // Concept maps: each pixel shows the class importance of its superpixel's concept.
      for (let i = 0; i < Math.min(8, images.length); i++) {
        const { image, explanation } = images[i];
        const imp = result.importance[explanation.label];
        const weights = Float32Array.from(
          explanation.segments,
          (s) => imp[r.clusterOfSegment[i][s]],
        );
        const scale = Math.max(
          1,
          Math.min(8, Math.floor(256 / Math.max(image.width, image.height))),
        );
        const name = `concepts-${i}.png`;
        await ctx.artifact(
          name,
          heatmapOverlay({
            width: image.width,
            height: image.height,
            rgb: image.data,
            weights,
            scale,
          }),
          'image/png',
        );
        artifacts.push(name);
      }
      concepts = [];
      const written = new Set<number>();
      for (const [c, ex] of r.exemplars.entries()) {
        const { image, explanation } = images[ex.image];
        const input = `input-${ex.image}.png`;
        if (!written.has(ex.image)) {
          await ctx.artifact(input, inputPng(image), 'image/png');
          artifacts.push(input);
          written.add(ex.image);
        }
        concepts.push({
          feature: features[c],
          image: ex.image,
          segment: ex.segment,
          input,
          width: image.width,
          height: image.height,
          segments: encodeSegments(explanation.segments),
        });
      }
    }
    const ranked = (values: number[]): { feature: string; importance: number }[] =>
      rankByImportance(values)
        .slice(0, TOP)
        .filter((j) => values[j] > 0)
        .map((j) => ({ feature: features[j], importance: values[j] }));
    const classes: ClassImportance[] = result.importance.map((row, y) => ({
      classIndex: y,
      className: model.classNames[y],
      count: result.counts[y],
      ranking: ranked(row),
    }));
    for (const c of classes) {
      if (c.count === 0 || c.ranking.length === 0) continue;
      const top = c.ranking.slice(0, 15);
      const name = `normlime-${c.classIndex}.png`;
      const png = chartPng(
        barsOption({
          title: `NormLIME: ${c.className}`,
          labels: top.map((t) => t.feature.slice(0, 40)),
          values: top.map((t) => t.importance),
          valueLabel: 'importance',
        }),
        { width: 640, height: barsHeight(top.length) },
      );
      await ctx.artifact(name, png, 'image/png');
      artifacts.push(name);
    }
    const mean = (f: (l: LocalRecord) => number): number =>
      local.reduce((s, l) => s + f(l), 0) / local.length;
    return {
      model: spec.model,
      inputKind: model.inputKind,
      instances: local.length,
      features,
      classes,
      overall: ranked(result.overall),
      summary: {
        meanFidelity: mean((l) => l.fidelity),
        meanAopc: mean((l) => l.aopc),
        meanRandomAopc: mean((l) => l.randomAopc),
      },
      artifacts,
      ...(concepts ? { concepts } : {}),
    };
  }
}
