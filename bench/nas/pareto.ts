/**
 * Accuracy vs FLOPs Pareto fronts found by random search, TPE and regularized evolution (on
 * encodings, with weight inheritance) with the same budget of trials and epochs, over several
 * seeds, on a Fashion-MNIST subset (docs/benchmarks/nas.md). Objective: multi (validation
 * accuracy max, FLOPs min). Hypervolume in the (-accuracy, FLOPs / F) plane, reference point
 * (0, 1.1), F = the largest FLOPs of any candidate in the run, so every strategy is measured
 * against the same box. Also trains the zoo's hand-designed small CNN at a few widths with the
 * same epochs and reports, per strategy, the best front accuracy at no more FLOPs.
 *
 *   node -r @swc-node/register bench/nas/pareto.ts [--quick] [--backend wasm|cpu] [--seeds N]
 *        [--trials N] [--epochs N] [--plot docs/img/nas-pareto.png]
 *
 * `--plot` writes a PNG of each strategy's front pooled over the seeds, with the zoo CNN points.
 *
 * Each search runs through `runNas`, which is the service's `nas` driver and `nas-trial` work
 * (NasSearch, NasTrialRun, TrialJobDriver: trial-seeded sampler, per-epoch reports, weight
 * inheritance through the parent trial's artifact, checkpoints) over in-memory adapters instead
 * of PostgreSQL and worker processes, one trial at a time (parallelism 1).
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { BackendPreference, selectBackend } from '../../src/ml/backend';
import { chartPng, linesOption } from '../../src/platform/charts/chart-images';
import { modelCost } from '../../src/ml/cost';
import { buildZooModel } from '../../src/ml/models/zoo';
import { evaluate } from '../../src/ml/train/evaluate';
import { trainModel } from '../../src/ml/train/trainer';
import { hypervolume } from '../../src/search/core/multi-objective';
import { NasTrialRecord, runNas } from '../../src/nas/in-process/run-nas';
import { paretoOf } from '../../src/nas/core/nas-report';
import { CellCnnSpace } from '../../src/nas/core/spaces/cell-cnn';
import { toTrainingData } from '../../src/nas/core/training-data';
import { flag, loadImages, mean, option, std } from './common';

const quick = flag('quick');
const settings = {
  backend: (option('backend') ?? 'wasm') as BackendPreference,
  seeds: Number(option('seeds') ?? 3),
  trials: Number(option('trials') ?? (quick ? 10 : 30)),
  epochs: Number(option('epochs') ?? 2),
  side: quick ? 14 : 28,
  trainSize: quick ? 1500 : 6000,
  batchSize: 32,
  learningRate: 3e-3,
  zooWidths: quick ? [4, 8] : [4, 8, 16],
};
const STRATEGIES = ['random', 'tpe', 'regularized-evolution'];

async function main(): Promise<void> {
  const backend = await selectBackend(settings.backend);
  const images = await loadImages(settings.trainSize, 10, settings.side);
  const space = new CellCnnSpace({ baseWidth: 8, maxBlocks: 5, maxReductions: 2 });
  const runs = new Map<string, NasTrialRecord[][]>(STRATEGIES.map((s) => [s, []]));
  const t0 = performance.now();
  for (let seed = 0; seed < settings.seeds; seed++) {
    // The split depends on the seed only: every strategy of a seed sees the same data.
    const data = toTrainingData(images.train, { validationFraction: 0.25, seed });
    for (const strategy of STRATEGIES) {
      const r = await runNas({
        space,
        data: {
          train: data.train,
          validation: data.validation,
          inputShape: data.inputShape,
          numClasses: data.numClasses,
        },
        strategy: {
          name: strategy,
          settings: strategy === 'tpe' ? { nStartupTrials: Math.ceil(settings.trials / 3) } : {},
        },
        objective: { kind: 'multi', costs: ['flops'] },
        budget: {
          trials: settings.trials,
          epochsPerTrial: settings.epochs,
          batchSize: settings.batchSize,
          learningRate: settings.learningRate,
        },
        seed,
      });
      (runs.get(strategy) as NasTrialRecord[][]).push(
        r.trials.filter((t) => t.state === 'complete'),
      );
      console.error(`seed ${seed} ${strategy}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    data.dispose();
  }
  // Zoo baseline on the seed-0 split, same epochs.
  const data = toTrainingData(images.train, { validationFraction: 0.25, seed: 0 });
  const zoo: Array<{ width: number; flops: number; accuracy: number }> = [];
  for (const width of settings.zooWidths) {
    const m = buildZooModel('small-cnn', {
      inputShape: data.inputShape,
      numClasses: data.numClasses,
      width,
      seed: 0,
    });
    await trainModel(m, data.train, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: 0,
    });
    zoo.push({
      width,
      flops: modelCost(m).flops,
      accuracy: evaluate(m, data.validation.x, data.validation.y).accuracy,
    });
    m.dispose();
  }
  data.dispose();

  const all = [...runs.values()].flat(2);
  const fRef = Math.max(...all.map((t) => t.cost.flops));
  const hv = (trials: NasTrialRecord[]): number =>
    hypervolume(
      trials.map((t) => [-(t.accuracy as number), t.cost.flops / fRef]),
      [0, 1.1],
    );
  console.log(
    `\nData: ${images.name}, ${settings.trainSize} images (75% train / 25% validation, split per seed); backend ${backend}.`,
  );
  console.log(
    `Space: cell-cnn (baseWidth 8, 1-5 blocks, <= 2 reductions); ${settings.trials} trials x ${settings.epochs} epoch(s) per strategy and seed; ${settings.seeds} seeds.\n`,
  );
  console.log(
    '| strategy | hypervolume (mean ± sd) | best val. accuracy (mean) | front size (mean) | smallest front FLOPs (mean) |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const [s, rs] of runs) {
    const hvs = rs.map(hv);
    const best = rs.map((r) => Math.max(...r.map((t) => t.accuracy as number)));
    const fronts = rs.map((r) => paretoOf(r));
    console.log(
      `| ${s} | ${mean(hvs).toFixed(4)} ± ${std(hvs).toFixed(4)} | ${mean(best).toFixed(4)} | ${mean(fronts.map((f) => f.length)).toFixed(1)} | ${(mean(fronts.map((f) => f[0].cost.flops)) / 1e6).toFixed(3)} M |`,
    );
  }
  console.log(
    '\nHand-designed zoo small CNN (same data and epochs, seed-0 split) vs the best candidate with no more FLOPs (mean over the seeds that found one):\n',
  );
  console.log(`| zoo width | MFLOPs | zoo val. accuracy | ${STRATEGIES.join(' | ')} |`);
  console.log(`| --- | --- | --- | ${STRATEGIES.map(() => '---').join(' | ')} |`);
  for (const z of zoo) {
    const cells = STRATEGIES.map((s) => {
      const accs = (runs.get(s) as NasTrialRecord[][])
        .map((r) => r.filter((t) => t.cost.flops <= z.flops).map((t) => t.accuracy as number))
        .filter((a) => a.length > 0)
        .map((a) => Math.max(...a));
      // Mean over the seeds whose run found an architecture that cheap (k of n seeds).
      return accs.length ? `${mean(accs).toFixed(4)} (${accs.length}/${settings.seeds})` : '- (0)';
    });
    console.log(
      `| ${z.width} | ${(z.flops / 1e6).toFixed(3)} | ${z.accuracy.toFixed(4)} | ${cells.join(' | ')} |`,
    );
  }
  const plot = option('plot');
  if (plot) {
    const series = STRATEGIES.map((s) => ({
      name: s,
      points: paretoOf((runs.get(s) as NasTrialRecord[][]).flat()).map((t) => ({
        x: t.cost.flops / 1e6,
        y: t.accuracy as number,
      })),
    }));
    series.push({
      name: 'zoo small-cnn',
      points: zoo.map((z) => ({ x: z.flops / 1e6, y: z.accuracy })),
    });
    const png = chartPng(
      linesOption({
        title: `NAS fronts (${settings.seeds} seeds pooled): validation accuracy vs MFLOPs`,
        xLabel: 'MFLOPs',
        yLabel: 'validation accuracy',
        series,
        markers: true,
      }),
      { width: 720, height: 440 },
    );
    writeFileSync(plot, png);
  }
  console.log(`\nTotal time ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
  tf.disposeVariables();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
