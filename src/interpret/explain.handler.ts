import {
  JobCancelledError,
  type JobContext,
  type JobHandler,
  type SpecReference,
} from '../platform/jobs/job-handler';
import { UnprocessableError, type FieldProblem } from '../platform/errors/domain-error';
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
import {
  coerceInstances,
  explainInstance,
  explanationJson,
  explanationPng,
  inputPng,
  sampleInstances,
} from './explain-runner';
import { withLoadedModel } from './model-provider';
import type { RgbImage } from './core/types';
import type { ExplainableModel, PredictProvider } from './model-provider';

export interface ExplainSpec {
  model: string;
  /** The instances to explain, or else `sampleSize` instances drawn (seeded) from the data set. */
  instances?: unknown[];
  sampleSize?: number;
  /** A data set id replacing the model's training set (sampling pool, tabular statistics). */
  dataset?: string;
  /** Optional class to explain per instance; default the predicted class. */
  labels?: number[];
  parameters: LimeParameters;
}

export interface ExplainResult {
  model: string;
  inputKind: string;
  classNames: string[];
  explanations: Record<string, unknown>[];
  summary: { meanFidelity: number; meanAopc: number; meanRandomAopc: number };
  artifacts: string[];
}

interface ExplainCheckpoint {
  done: Record<string, unknown>[];
  artifacts: string[];
}

export const MAX_EXPLAIN_INSTANCES = 1000;

/**
 * Job kind `explain`: LIME for the given instances (or a seeded sample of the data set), with
 * fidelity, AOPC vs random and PNGs.
 */
export class ExplainJobHandler implements JobHandler<ExplainSpec, ExplainResult> {
  readonly kind = 'explain';
  readonly references: readonly SpecReference[] = [
    { field: 'model', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(private readonly models: PredictProvider) {}

  validate(spec: unknown): ExplainSpec {
    const raw = asRecord(spec);
    const problems: FieldProblem[] = [];
    const model = requireModel(raw, problems);
    unknownFields(
      raw,
      ['model', 'dataset', 'instances', 'sampleSize', 'labels', 'parameters'],
      problems,
    );
    const dataset = optionalDataset(raw, problems);
    const instances = raw.instances;
    if (instances !== undefined) {
      if (
        !Array.isArray(instances) ||
        instances.length === 0 ||
        instances.length > MAX_EXPLAIN_INSTANCES
      ) {
        problems.push({
          field: 'instances',
          message: `must be an array of 1 to ${MAX_EXPLAIN_INSTANCES} instances`,
        });
      }
      if (raw.sampleSize !== undefined)
        problems.push({ field: 'sampleSize', message: 'give instances or sampleSize, not both' });
    } else if (raw.sampleSize === undefined) {
      problems.push({
        field: 'instances',
        message: 'required unless sampleSize instances are drawn from the data set',
      });
    }
    const sampleSize = optionalSampleSize(raw, MAX_EXPLAIN_INSTANCES, problems);
    let labels: number[] | undefined;
    if (raw.labels !== undefined) {
      if (
        !Array.isArray(raw.labels) ||
        !raw.labels.every((l) => Number.isInteger(l) && l >= 0) ||
        !Array.isArray(instances) ||
        raw.labels.length !== instances.length
      ) {
        problems.push({
          field: 'labels',
          message: 'must be one non-negative class index per given instance',
        });
      } else labels = raw.labels as number[];
    }
    const parameters = parseLimeParameters(raw.parameters, problems);
    throwIfProblems(problems);
    return {
      model,
      ...(instances !== undefined ? { instances: instances as unknown[] } : { sampleSize }),
      ...(dataset !== undefined ? { dataset } : {}),
      ...(labels ? { labels } : {}),
      parameters,
    };
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
    if (spec.labels) {
      const bad = spec.labels.findIndex((l) => l >= model.classNames.length);
      if (bad >= 0) {
        throw new UnprocessableError(`labels[${bad}] is not a class of the model`, [
          { field: `labels[${bad}]`, message: `must be in [0, ${model.classNames.length - 1}]` },
        ]);
      }
    }
    const resume = ctx.resumeFrom as ExplainCheckpoint | undefined;
    const done = resume?.done ? [...resume.done] : [];
    const artifacts = resume?.artifacts ? [...resume.artifacts] : [];
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
    const mean = (key: (e: Record<string, unknown>) => number): number =>
      done.reduce((s, e) => s + key(e), 0) / done.length;
    const faith = (e: Record<string, unknown>): { aopc: number; randomAopc: number } =>
      e.faithfulness as { aopc: number; randomAopc: number };
    return {
      model: spec.model,
      inputKind: model.inputKind,
      classNames: model.classNames,
      explanations: done,
      summary: {
        meanFidelity: mean((e) => e.fidelity as number),
        meanAopc: mean((e) => faith(e).aopc),
        meanRandomAopc: mean((e) => faith(e).randomAopc),
      },
      artifacts,
    };
  }
}
