/**
 * Speed of the composite gradient kernels (src/ml/kernels/) on wasm, against wasm's own
 * Conv2DBackpropInput (which the composite replaces) and against the cpu backend's kernels.
 *
 *   node -r @swc-node/register bench/ml/kernel-speed.ts [--quick]
 *
 * Each cell: median over `reps` calls of one kernel on random data (batch 16, or 8 with --quick; 3x3 filters,
 * 'same' padding), result read back. Shapes are those of the zoo's ResNet/MobileNet on 28x28.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';

const quick = process.argv.includes('--quick');
const reps = quick ? 3 : 7;
const batch = quick ? 8 : 16;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length / 2;
  return s.length % 2 ? s[Math.floor(m)] : (s[m - 1] + s[m]) / 2;
}

/** Median of `n` timed calls after one untimed warm-up call when `warm`. */
function time(f: () => tf.Tensor, n = reps, warm = true): number {
  if (warm) f().dispose();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const out = f();
    out.dataSync();
    ts.push(performance.now() - t0);
    out.dispose();
  }
  return median(ts);
}

async function main(): Promise<void> {
  // Capture wasm's own Conv2DBackpropInput before selectBackend replaces it.
  await selectBackend('cpu');
  const nativeInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (nativeInput === undefined) throw new Error('wasm Conv2DBackpropInput not registered');
  const shapes: Array<[number, number, number, number]> = [
    [28, 16, 16, 1],
    [28, 16, 32, 2],
    [14, 32, 64, 2],
  ];
  const rows: string[] = [];
  for (const [h, ci, co, s] of shapes) {
    const xShape: [number, number, number, number] = [batch, h, h, ci];
    const info = tf.backend_util.computeConv2DInfo(xShape, [3, 3, ci, co], s, 1, 'same');
    const dyShape = [batch, info.outHeight, info.outWidth, co];
    const xData = tf.randomNormal(xShape).dataSync();
    const dyData = tf.randomNormal(dyShape).dataSync();
    const wData = tf.randomNormal([3, 3, ci, co]).dataSync();
    const dwData = tf.randomNormal([3, 3, ci, 1]).dataSync();
    const dyDwData = tf.randomNormal([batch, info.outHeight, info.outWidth, ci]).dataSync();
    // cpu's kernels are plain JavaScript loops (no warm-up effects, seconds per call): one call.
    const cell = (backend: string) => {
      const t = (f: () => tf.Tensor) => (backend === 'cpu' ? time(f, 1, false) : time(f));
      const x = tf.tensor4d(xData, xShape);
      const dy = tf.tensor(dyData, dyShape);
      const w = tf.tensor4d(wData, [3, 3, ci, co]);
      const dw = tf.tensor4d(dwData, [3, 3, ci, 1]);
      const dyDw = tf.tensor(dyDwData, [batch, info.outHeight, info.outWidth, ci]);
      const attrs = { strides: [s, s], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
      const run = (name: string, inputs: tf.NamedTensorMap, extra: object) => () =>
        tf.engine().runKernel(name, inputs, {
          ...attrs,
          ...extra,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const r = {
        filter: t(run('Conv2DBackpropFilter', { x, dy }, { filterShape: [3, 3, ci, co] })),
        input: t(run('Conv2DBackpropInput', { dy, filter: w }, { inputShape: xShape })),
        dwFilter: t(
          run(
            'DepthwiseConv2dNativeBackpropFilter',
            { x, dy: dyDw },
            { filterShape: [3, 3, ci, 1] },
          ),
        ),
        dwInput: t(
          run(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: dyDw, filter: dw },
            { inputShape: xShape },
          ),
        ),
      };
      tf.dispose([x, dy, w, dw, dyDw]);
      return r;
    };
    await tf.setBackend('cpu');
    const cpu = cell('cpu');
    await selectBackend('wasm');
    const wasm = cell('wasm');
    // wasm's own Conv2DBackpropInput, run directly on the wasm backend for comparison.
    // It was unregistered before the backend initialised, so run its one-time setup (cwrap) here.
    nativeInput.setupFunc?.(tf.backend());
    const dy = tf.tensor(dyData, dyShape);
    const w = tf.tensor4d(wData, [3, 3, ci, co]);
    const native = time(() =>
      tf.engine().makeTensorFromTensorInfo(
        nativeInput.kernelFunc({
          inputs: { dy, filter: w },
          backend: tf.backend(),
          attrs: {
            strides: [s, s],
            pad: 'same',
            dataFormat: 'NHWC',
            dimRoundingMode: undefined,
            inputShape: xShape,
          } as unknown as tf.NamedAttrMap,
        }) as tf.TensorInfo,
      ),
    );
    tf.dispose([dy, w]);
    const label = `${h}x${h}x${ci}->${co} s${s}`;
    rows.push(
      `| ${label} | Conv2DBackpropFilter | ${cpu.filter.toFixed(1)} | ${wasm.filter.toFixed(1)} | (missing) |`,
    );
    rows.push(
      `| ${label} | Conv2DBackpropInput | ${cpu.input.toFixed(1)} | ${wasm.input.toFixed(1)} | ${native.toFixed(1)} |`,
    );
    rows.push(
      `| ${label} | DepthwiseConv2dNativeBackpropFilter | ${cpu.dwFilter.toFixed(1)} | ${wasm.dwFilter.toFixed(1)} | (missing) |`,
    );
    rows.push(
      `| ${label} | DepthwiseConv2dNativeBackpropInput | ${cpu.dwInput.toFixed(1)} | ${wasm.dwInput.toFixed(1)} | (missing) |`,
    );
    await tf.setBackend('cpu');
  }
  console.log(
    `batch ${batch}, 3x3 filters, 'same' padding; wasm: median of ${reps} calls, cpu: one call; ms\n`,
  );
  console.log(
    '| input, channels, stride | kernel | cpu backend | wasm composite (ours) | wasm built-in |',
  );
  console.log('| --- | --- | ---: | ---: | ---: |');
  rows.forEach((r) => console.log(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
