import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';
import { registerGradientKernels } from './kernels/register';

/** What the platform config passes in (from AUTODL_TF_BACKEND); library code reads no env. */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = [
  'auto',
  'tensorflow',
  'wasm',
  'cpu',
];

export type BackendLog = (message: string) => void;

/** The native TensorFlow bindings, in order of preference; optional dependencies of the GPU image. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

let wasmPathsSet = false;

/**
 * Loads the first native binding that can be required (it registers the `tensorflow` backend on
 * import). A guarded require, not an import, so that the packages stay optional.
 */
function loadNative(log: BackendLog): string | undefined {
  for (const name of NATIVE_PACKAGES) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(name);
      return name;
    } catch (err) {
      log(`backend: ${name} not loadable (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return undefined;
}

async function tryTensorflow(log: BackendLog): Promise<boolean> {
  const pkg = loadNative(log);
  if (pkg === undefined) return false;
  if (!(await tf.setBackend('tensorflow'))) return false;
  log(`backend: tensorflow (native, via ${pkg})`);
  return true;
}

/** Points the wasm loader at the .wasm binaries inside the npm package (no network). Idempotent. */
export function useBundledWasmBinaries(): void {
  if (wasmPathsSet) return;
  const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  setWasmPaths(path.dirname(wasmFile) + path.sep);
  wasmPathsSet = true;
}

async function tryWasm(log: BackendLog): Promise<boolean> {
  useBundledWasmBinaries();
  const added = registerGradientKernels('wasm');
  if (!(await tf.setBackend('wasm'))) return false;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  log(
    `backend: wasm (simd ${simd ? 'on' : 'off'}, single-threaded; composite gradient kernels: ${
      added.length > 0 ? added.join(', ') : 'already registered'
    })`,
  );
  return true;
}

/**
 * Selects the TF.js backend and returns the name of the backend in use.
 * `auto`: tensorflow (native) when its package loads, else wasm, else cpu. An explicit preference
 * that cannot be honoured is an error, so a misconfigured GPU image fails loudly at start.
 */
export async function selectBackend(
  preference: BackendPreference,
  log: BackendLog = () => undefined,
): Promise<string> {
  if (!BACKEND_PREFERENCES.includes(preference)) {
    throw new RangeError(
      `backend preference must be one of ${BACKEND_PREFERENCES.join('|')}, got ${String(preference)}`,
    );
  }
  if (preference === 'tensorflow' || preference === 'auto') {
    if (await tryTensorflow(log)) return tf.getBackend();
    if (preference === 'tensorflow') {
      throw new Error(
        `backend tensorflow requested but neither ${NATIVE_PACKAGES.join(' nor ')} can be loaded`,
      );
    }
  }
  if (preference === 'wasm' || preference === 'auto') {
    let ok = false;
    try {
      ok = await tryWasm(log);
    } catch (err) {
      log(`backend: wasm failed to initialise (${(err as Error).message})`);
    }
    if (ok) return tf.getBackend();
    if (preference === 'wasm')
      throw new Error('backend wasm requested but it failed to initialise');
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('backend cpu failed to initialise');
  log('backend: cpu (pure JavaScript)');
  return tf.getBackend();
}

/** A description of the running backend for /readyz and job results. */
export function describeBackend(): { name: string; tfjsVersion: string } {
  return { name: tf.getBackend(), tfjsVersion: tf.version_core };
}
