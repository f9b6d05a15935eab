/**
 * What the predicted-vs-measured figures (bench/serving/predicted-vs-measured.ts in process,
 * predicted-vs-measured-http.ts over HTTP) share: their command line, the two zoo models, the
 * deployment config they measure, the model directory they serve from, and the formatting of
 * the table cells.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { saveModelToBuffers } from '../../src/ml/io/buffers';
import { writeModelBuffers } from '../../src/ml/io/directory';
import { buildZooModel } from '../../src/ml/zoo/zoo';

export interface FigureArgs {
  /** `--quick`: 8 s per rate and three rates instead of 25 s and four. */
  quick: boolean;
  durationS: number;
  /** The first seconds of each run, left out of its statistics. */
  warmupS: number;
  models: string[];
  rhos: number[];
  /** Any other `--name value` option. */
  flag(name: string): string | undefined;
}

/** `[--quick] [--duration s] [--models a,b] [--json out.json]` and the figure's other options. */
export function figureArgs(argv: string[] = process.argv.slice(2)): FigureArgs {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const durationS = Number(flag('duration') ?? (quick ? 8 : 25));
  return {
    quick,
    durationS,
    warmupS: Math.min(3, durationS / 5),
    models: (flag('models') ?? 'small-cnn,mobilenet').split(','),
    rhos: quick ? [0.2, 0.5, 0.8] : [0.2, 0.4, 0.6, 0.8],
    flag,
  };
}

/** The figure's models (zoo architectures, seeded). */
export const FIGURE_MODELS: Record<string, { inputShape: number[]; numClasses: number }> = {
  'small-cnn': { inputShape: [28, 28, 1], numClasses: 10 },
  mobilenet: { inputShape: [32, 32, 3], numClasses: 10 },
};

/** The batching both figures measure before tuning: 1 instance, batches up to 8, a 2 ms window. */
export const FIGURE_BATCH = { maxSize: 8, maxDelayMs: 2 };

/** Builds the zoo model (seed 1) and saves it as the registry stores it, in a new temp dir. */
export async function zooModelDir(name: string, prefix: string): Promise<string> {
  const spec = FIGURE_MODELS[name];
  if (!spec)
    throw new Error(`unknown model ${name}; one of ${Object.keys(FIGURE_MODELS).join(', ')}`);
  const dir = await mkdtemp(path.join(tmpdir(), `${prefix}-${name}-`));
  const model = buildZooModel(name, { ...spec, seed: 1 });
  await writeModelBuffers(dir, await saveModelToBuffers(model));
  model.dispose();
  return dir;
}

/** `--json out.json`: the figure's rows for the record. */
export async function writeFigureJson(args: FigureArgs, out: unknown): Promise<void> {
  const json = args.flag('json');
  if (json) await writeFile(json, JSON.stringify(out, null, 2));
}

/** Relative error as a signed percentage, and milliseconds, as the tables print them. */
export const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
export const ms = (x: number): string => x.toFixed(2);
