/**
 * One side of bench/interpret/explain-speed.ts: the explain and normlime job handlers of the
 * source tree `root` (this checkout or a `git worktree` of the baseline revision), loaded into
 * this process next to the other side's, over the registry's own predict adapter on the
 * fixtures. Every module under test is required from `root`; both trees share node_modules,
 * hence one TF.js (and one wasm backend) for both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type * as BackendMod from '../../src/ml/backend';
import type * as BuffersMod from '../../src/ml/io/buffers';
import type * as ParallelMod from '../../src/ml/train/parallel';
import type * as ParallelPredictMod from '../../src/ml/train/parallel-predict';
import type * as ReplicaPoolMod from '../../src/ml/data-parallel/replica-pool';
import type * as DataMod from '../../src/ml/data/dataset';
import type * as AdapterMod from '../../src/interpret/model-registry.adapter';
import type * as RegistryAdapterMod from '../../src/registry/model-registry.adapter';
import type * as ExplainMod from '../../src/interpret/explain.handler';
import type * as NormLimeMod from '../../src/interpret/normlime.handler';
import type * as LocalMod from '../../src/interpret/local-explain';
import type * as SlicMod from '../../src/interpret/core/slic';
import type * as PngMod from '../../src/interpret/explanation-pngs';
import type * as ExplainInstanceMod from '../../src/interpret/core/explain-instance';
import type { ExplainableModel } from '../../src/interpret/core/explainable-model';
import type { JobContext } from '../../src/platform/jobs/job-handler';
import type { RgbImage } from '../../src/interpret/core/types';
import { schedstatThreadCpuNs as threadCpuNs } from '../../src/ml/data-parallel/thread-cpu';
import type * as MeterMod from '../../src/ml/train/thread-meter';
import type { ParallelMeter } from '../../src/ml/train/thread-meter';

export interface Workload {
  name: string;
  kind: 'explain' | 'normlime';
  model: 'cnn' | 'mlp';
  instances: number;
}

export interface Measurement {
  seconds: number;
  /** CPU time of this process (user + system) during the job: steadier than wall time under load. */
  cpuSeconds: number;
  /** CPU time of the main thread alone during the job (NaN where unreadable). */
  mainCpuSeconds: number;
  /**
   * Where the replicas' work went during the job (the current tree's parallel meter; absent on a
   * tree without one, or with no replicas: then the critical path is the main thread's CPU).
   */
  meter?: ParallelMeter;
  loads: number;
  disposals: number;
  output: unknown;
}

export interface Side {
  name: string;
  run(w: Workload): Promise<Measurement>;
  /** CPU ms per explanation in each phase, and tf.profile's top kernels of one image explanation. */
  profile(reps: number): Promise<{ phases: Record<string, number>; kernels: [string, number][] }>;
}

export const WORKLOADS = (quick: boolean): Workload[] => [
  {
    name: 'image LIME (small-cnn 28x28x1)',
    kind: 'explain',
    model: 'cnn',
    instances: quick ? 1 : 2,
  },
  {
    name: 'tabular LIME (mlp, 30 features)',
    kind: 'explain',
    model: 'mlp',
    instances: quick ? 4 : 10,
  },
  { name: 'NormLIME tabular', kind: 'normlime', model: 'mlp', instances: quick ? 8 : 20 },
  { name: 'NormLIME image', kind: 'normlime', model: 'cnn', instances: quick ? 2 : 3 },
];

/** LIME parameters of every workload: the service defaults but for 50 superpixels, black baseline. */
const PARAMETERS = { numSamples: 1000, nSegments: 50, baseline: [0, 0, 0], seed: 7 };

/** CPU time of this process (user + system), in milliseconds. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * What happens to a side's inference replicas between its jobs: `keep` nothing (the next job
 * comes within the pools' 30 s idle time), `park` what that idle time does (the current code
 * parks the threads warm for the next job), `stop` every replica thread stopped (the first job of
 * a worker process, or the code before parking after its idle time).
 */
export type BetweenJobs = 'keep' | 'park' | 'stop';

/**
 * `threads`: bulk prediction over that many threads (inference replicas, issue 20); the side
 * installs it before each of its runs (1: none installed), so two sides of the same tree can
 * compare thread counts in one process. Undefined: the tree's own default (nothing installed).
 */
export async function loadSide(
  root: string,
  fixtures: string,
  name: string,
  threads?: number,
  between: BetweenJobs = 'keep',
): Promise<Side> {
  // A runtime path (the baseline's tree or this one): an import() of a variable would do the
  // same through the same register hook, with the module typed as unknown all the same.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const need = <T>(rel: string): T => require(path.join(root, rel)) as T;
  const tf = need<typeof tfType>('node_modules/@tensorflow/tfjs');
  if (tf.getBackend() !== 'wasm') {
    await need<typeof BackendMod>('src/ml/backend').selectBackend('wasm', () => undefined);
  }
  const { loadModelFromBuffers } = need<typeof BuffersMod>('src/ml/io/buffers');
  const { Dataset } = need<typeof DataMod>('src/ml/data/dataset');
  const { RegistryPredictProvider } = need<typeof AdapterMod>(
    'src/interpret/model-registry.adapter',
  );
  const { ModelRegistryAdapter } = need<typeof RegistryAdapterMod>(
    'src/registry/model-registry.adapter',
  );
  const { ExplainJobHandler } = need<typeof ExplainMod>('src/interpret/explain.handler');
  const { NormLimeJobHandler } = need<typeof NormLimeMod>('src/interpret/normlime.handler');
  const { LocalJobContext } = need<typeof LocalMod>('src/interpret/local-explain');
  const { slic } = need<typeof SlicMod>('src/interpret/core/slic');
  const { explanationPng } = need<typeof PngMod>('src/interpret/explanation-pngs');
  const { explainInstance } = need<typeof ExplainInstanceMod>(
    'src/interpret/core/explain-instance',
  );

  const meta = JSON.parse(fs.readFileSync(path.join(fixtures, 'meta.json'), 'utf8')) as {
    fashionClasses: string[];
    imageCount: number;
    bcFeatures: string[];
    bcClasses: string[];
    bcRows: number[][];
    bcLabels: number[];
  };
  const pixelBytes = fs.readFileSync(path.join(fixtures, 'fashion.f32'));
  const flat = new Float32Array(
    pixelBytes.buffer.slice(pixelBytes.byteOffset, pixelBytes.byteOffset + pixelBytes.byteLength),
  );
  const pixels = Array.from({ length: meta.imageCount }, (_, i) =>
    flat.subarray(i * 784, (i + 1) * 784),
  );
  const datasets = {
    fashion: new Dataset(
      { kind: 'image', shape: { height: 28, width: 28, channels: 1 }, pixels },
      pixels.map(() => 0),
      meta.fashionClasses,
    ),
    bc: new Dataset(
      { kind: 'tabular', featureNames: meta.bcFeatures, rows: meta.bcRows },
      meta.bcLabels,
      meta.bcClasses,
    ),
  };
  const entities = {
    cnn: {
      id: 'cnn',
      projectId: 'p',
      name: 'cnn',
      inputKind: 'image' as const,
      inputShape: [28, 28, 1],
      classNames: meta.fashionClasses,
      featureNames: null,
      preprocessing: {},
      datasetId: 'fashion',
    },
    mlp: {
      id: 'mlp',
      projectId: 'p',
      name: 'mlp',
      inputKind: 'tabular' as const,
      inputShape: [30],
      classNames: meta.bcClasses,
      featureNames: meta.bcFeatures,
      preprocessing: {},
      datasetId: 'bc',
    },
  };
  // The registry's own adapter over in-memory stand-ins of its services: the service's predict
  // path, with every model load and dispose counted.
  const counts = { loads: 0, disposals: 0 };
  let phase: { predictMs: number; kernelMs: number } | null = null;
  const models = {
    load: async (_p: string, id: 'cnn' | 'mlp') => {
      counts.loads++;
      const dir = path.join(fixtures, id);
      const model = await loadModelFromBuffers(
        fs.readFileSync(path.join(dir, 'model.json')),
        fs.readFileSync(path.join(dir, 'weights.bin')),
      );
      const dispose = model.dispose.bind(model);
      model.dispose = () => {
        counts.disposals++;
        return dispose();
      };
      const predict = model.predict.bind(model);
      model.predict = (x, args) => {
        const t = cpuMs();
        const y = predict(x, args);
        if (phase) phase.kernelMs += cpuMs() - t;
        return y;
      };
      return { entity: entities[id], model, vocabulary: null };
    },
  };
  const datasetService = {
    load: async (_p: string, id: 'fashion' | 'bc') => ({ dataset: datasets[id] }),
  };
  const adapter = new ModelRegistryAdapter(
    models as never,
    datasetService as never,
    { ready: async () => undefined } as never,
  );
  const timedAdapter = {
    loadForInference: async (p: string, id: string) => {
      const m = await adapter.loadForInference(p, id);
      const wrap =
        <A>(f: (a: A) => Promise<number[][]>) =>
        async (a: A) => {
          const t = cpuMs();
          const r = await f(a);
          if (phase) phase.predictMs += cpuMs() - t;
          return r;
        };
      return {
        ...m,
        predictImages: wrap(m.predictImages),
        predictRows: wrap(m.predictRows),
        predictTexts: wrap(m.predictTexts),
      };
    },
    loadDataset: (p: string, id: string) => adapter.loadDataset(p, id),
  };
  const provider = new RegistryPredictProvider(() => timedAdapter);
  const explain = new ExplainJobHandler(provider);
  const normlime = new NormLimeJobHandler(provider);
  const ctx = (): JobContext => new LocalJobContext(null, () => undefined);

  // Required now: a baseline's worktree is removed once its modules are loaded.
  const threading =
    threads === undefined
      ? undefined
      : {
          ...need<typeof ParallelMod>('src/ml/train/parallel'),
          ...need<typeof ReplicaPoolMod>('src/ml/data-parallel/replica-pool'),
          ...need<typeof ParallelPredictMod>('src/ml/train/parallel-predict'),
        };
  const configureThreads = (): void => {
    if (threads === undefined || !threading) return;
    if (threads > 1) threading.enableThreadDataParallel(threads);
    else threading.configureDataParallel(undefined);
  };

  // The tree's parallel meter, when it has one (the baseline may not).
  const meterMod = fs.existsSync(path.join(root, 'src/ml/train/thread-meter.ts'))
    ? need<typeof MeterMod>('src/ml/train/thread-meter')
    : undefined;
  const meterDelta = (before: ParallelMeter | undefined): ParallelMeter | undefined => {
    const now = meterMod?.readParallelMeter();
    if (!now || !before || now.rounds === before.rounds) return undefined;
    const out = { ...now };
    for (const k of Object.keys(out) as (keyof ParallelMeter)[]) out[k] -= before[k];
    return out;
  };

  const betweenJobs = (): void => {
    if (between === 'keep' || !threads || threads < 2 || !threading) return;
    if (between === 'stop') threading.releaseInferenceThreads();
    else if ('parkInferencePools' in threading) threading.parkInferencePools();
    else throw new Error(`${name}: this tree cannot park its inference threads`);
  };

  const run = async (w: Workload): Promise<Measurement> => {
    configureThreads();
    betweenJobs();
    const raw = { model: w.model, sampleSize: w.instances, parameters: PARAMETERS };
    counts.loads = counts.disposals = 0;
    const m0 = meterMod?.readParallelMeter();
    const main0 = threadCpuNs();
    const t0 = performance.now();
    const c0 = cpuMs();
    const output =
      w.kind === 'explain'
        ? await explain.run(explain.validate(raw), ctx())
        : await normlime.run(normlime.validate({ ...raw, numClusters: 5 }), ctx());
    return {
      seconds: (performance.now() - t0) / 1000,
      cpuSeconds: (cpuMs() - c0) / 1000,
      mainCpuSeconds: (threadCpuNs() - main0) / 1e9,
      meter: meterDelta(m0),
      loads: counts.loads,
      disposals: counts.disposals,
      output,
    };
  };

  // Phase profile of one image explanation and one tabular one, outside the job.
  const tabularModel = await provider.load('mlp', { projectId: 'p' });
  const imageModel = await provider.load('cnn', { projectId: 'p' });
  const image = (imageModel as Extract<ExplainableModel, { inputKind: 'image' }>).dataset!.at(0)!;
  const row = (tabularModel as Extract<ExplainableModel, { inputKind: 'tabular' }>).dataset!.at(0)!;
  const params = {
    numSamples: 1000,
    numFeatures: 10,
    featureSelection: 'auto' as const,
    nSegments: 50,
    compactness: 10,
    baseline: [0, 0, 0] as [number, number, number],
    seed: 7,
    randomRepeats: 5,
    discretize: true,
  };
  const profileOf = async (
    m: ExplainableModel,
    x: RgbImage | number[],
    prefix: string,
    reps: number,
    result: Record<string, number>,
  ) => {
    await explainInstance(m, x, params as never, 0);
    phase = { predictMs: 0, kernelMs: 0 };
    let total = 0;
    let png = 0;
    for (let r = 0; r < reps; r++) {
      const t = cpuMs();
      const e = await explainInstance(m, x, params as never, r);
      total += cpuMs() - t;
      const tp = cpuMs();
      explanationPng(m, x, e);
      png += cpuMs() - tp;
    }
    result[`${prefix} explanation (LIME + deletion curves)`] = total / reps;
    result[`${prefix}   predict (adapter, all)`] = phase.predictMs / reps;
    result[`${prefix}     model.predict (kernels)`] = phase.kernelMs / reps;
    result[`${prefix}   rest: sampling, masks, fit, curves`] = (total - phase.predictMs) / reps;
    result[`${prefix} PNG`] = png / reps;
    phase = null;
  };
  const profile = async (reps: number) => {
    configureThreads();
    const phases: Record<string, number> = {};
    await profileOf(imageModel, image, 'image', reps, phases);
    const ts = cpuMs();
    for (let r = 0; r < reps; r++) slic(image, { nSegments: 50, compactness: 10 });
    phases['image   of which SLIC'] = (cpuMs() - ts) / reps;
    await profileOf(tabularModel, row, 'tabular', reps, phases);
    const prof = await tf.profile(async () => {
      await explainInstance(imageModel, image, params as never, 0);
    });
    const byKernel = new Map<string, number>();
    for (const k of prof.kernels) {
      if (k.name.endsWith('__op')) continue; // op scopes nest the kernels they run
      byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    }
    return { phases, kernels: [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 6) };
  };
  return { name, run, profile };
}
