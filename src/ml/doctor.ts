/**
 * What this process's ML runtime can do, for `autodl doctor` (the image's smoke test) and
 * /readyz: the TF.js backend selected as AUTODL_TF_BACKEND asks, the GPUs the process can see,
 * and a short convolution benchmark on that backend. The GPU image (CUDA 11.8 + cuDNN 8,
 * libtensorflow 2.9 through @tensorflow/tfjs-node-gpu) is known to work when this reports the
 * `tensorflow` backend, the node's GPUs, and a conv rate well above the CPU's.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend, type BackendPreference } from './backend';

export interface GpuInfo {
  index: number;
  name: string;
  memoryMiB: number | null;
  driver: string | null;
  /** Compute capability, e.g. "8.0" (A100), "9.0" (H100). */
  computeCapability: string | null;
}

export interface DoctorReport {
  backend: string;
  tfjsVersion: string;
  gpus: GpuInfo[];
  /** Where the GPU list came from: nvidia-smi, the driver's /proc files, or none found. */
  gpuSource: 'nvidia-smi' | 'proc' | 'none';
  conv: { shape: string; iterations: number; seconds: number; gflops: number };
  warnings: string[];
}

/**
 * libtensorflow 2.9 (what tfjs-node-gpu 4.x binds) was built with kernels up to sm_86; newer
 * GPUs run its PTX through the driver's JIT, compiled at first use (minutes, then cached).
 */
const NEWEST_NATIVE_SM = 8.6;

function parseNvidiaSmi(csv: string): GpuInfo[] {
  return csv
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [index, name, memory, driver, cc] = line.split(',').map((f) => f.trim());
      const mib = Number.parseInt(memory ?? '', 10);
      return {
        index: Number(index),
        name: name ?? 'unknown',
        memoryMiB: Number.isFinite(mib) ? mib : null,
        driver: driver || null,
        computeCapability: cc && cc !== '[N/A]' ? cc : null,
      };
    });
}

/** The driver's view when nvidia-smi is absent (/proc/driver/nvidia/gpus/<bus id>/information). */
function gpusFromProc(root = '/proc/driver/nvidia/gpus'): GpuInfo[] {
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root).sort();
  } catch {
    return [];
  }
  return dirs.map((dir, index) => {
    const info = fs.readFileSync(`${root}/${dir}/information`, 'utf8');
    const model = /^Model:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
    return { index, name: model, memoryMiB: null, driver: null, computeCapability: null };
  });
}

/** The GPUs this process can see (NVIDIA_VISIBLE_DEVICES=void hides them, as in CPU pods). */
export async function visibleGpus(): Promise<{
  gpus: GpuInfo[];
  source: DoctorReport['gpuSource'];
}> {
  if (process.env.NVIDIA_VISIBLE_DEVICES === 'void') return { gpus: [], source: 'none' };
  try {
    const { stdout } = await promisify(execFile)(
      'nvidia-smi',
      [
        '--query-gpu=index,name,memory.total,driver_version,compute_cap',
        '--format=csv,noheader,nounits',
      ],
      { timeout: 10_000 },
    );
    return { gpus: parseNvidiaSmi(stdout), source: 'nvidia-smi' };
  } catch {
    const gpus = gpusFromProc();
    return { gpus, source: gpus.length > 0 ? 'proc' : 'none' };
  }
}

/**
 * Convolutions of a fixed shape (a batch of 16 32x32x32 maps, 3x3 filters to 64 channels) for
 * about `seconds` after one warm-up call; the rate in GFLOP/s (2 FLOPs per multiply-add).
 */
export function convBenchmark(seconds: number): DoctorReport['conv'] {
  const [b, h, w, cin, cout, k] = [16, 32, 32, 32, 64, 3];
  const x = tf.randomNormal<tf.Rank.R4>([b, h, w, cin], 0, 1, 'float32', 1);
  const f = tf.randomNormal<tf.Rank.R4>([k, k, cin, cout], 0, 0.1, 'float32', 2);
  const once = () => tf.tidy(() => tf.conv2d(x, f, 1, 'same').sum().dataSync()[0]);
  once();
  const start = performance.now();
  let iterations = 0;
  do {
    once();
    iterations += 1;
  } while ((performance.now() - start) / 1000 < seconds);
  const elapsed = (performance.now() - start) / 1000;
  x.dispose();
  f.dispose();
  const flops = 2 * b * h * w * cout * k * k * cin * iterations;
  return {
    shape: `${b}x${h}x${w}x${cin} * ${k}x${k}x${cin}x${cout}`,
    iterations,
    seconds: elapsed,
    gflops: flops / elapsed / 1e9,
  };
}

export async function runDoctor(preference: BackendPreference, seconds = 1): Promise<DoctorReport> {
  await selectBackend(preference);
  const { name, tfjsVersion } = describeBackend();
  const { gpus, source } = await visibleGpus();
  const warnings: string[] = [];
  if (gpus.length > 0 && name !== 'tensorflow') {
    warnings.push(
      `${gpus.length} GPU(s) visible but the backend is ${name}: install @tensorflow/tfjs-node-gpu (the GPU image) to use them`,
    );
  }
  for (const g of gpus) {
    const cc = g.computeCapability === null ? NaN : Number(g.computeCapability);
    if (cc > NEWEST_NATIVE_SM) {
      warnings.push(
        `GPU ${g.index} (${g.name}, sm_${String(g.computeCapability).replace('.', '')}): libtensorflow 2.9 has no native kernels for it; the driver JIT-compiles PTX at first use, so the first job is slow (minutes) until the cache is warm`,
      );
    }
  }
  return {
    backend: name,
    tfjsVersion,
    gpus,
    gpuSource: source,
    conv: convBenchmark(seconds),
    warnings,
  };
}

export const testing = { parseNvidiaSmi, gpusFromProc };
