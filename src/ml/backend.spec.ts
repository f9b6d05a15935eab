import * as tf from '@tensorflow/tfjs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from './backend';

/** The first native binding this machine can load (the GPU image has one), as the rule sees it. */
function loadableNative(): string | undefined {
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(name);
      return name;
    } catch {
      // not installed or its binary does not load here: the next one
    }
  }
  return undefined;
}

describe('selectBackend', () => {
  const native = loadableNative();

  test('auto: the native tensorflow backend when a binding loads, else wasm', async () => {
    const lines: string[] = [];
    const name = await selectBackend('auto', (m) => lines.push(m));
    if (native) {
      assert.equal(name, 'tensorflow');
      assert.ok(lines.includes(`backend: tensorflow (native, via ${native})`), lines.join('\n'));
    } else {
      assert.equal(name, 'wasm');
      assert.ok(lines.some((l) => l.includes('@tensorflow/tfjs-node not loadable')));
      assert.ok(
        lines.some((l) => /backend: wasm \(simd o(n|ff)/.test(l)),
        lines.join('\n'),
      );
      // The composite gradient kernels are in place for wasm.
      assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined);
    }
    assert.equal(tf.getBackend(), name);
  });

  test('an explicit preference that cannot be honoured is an error; cpu always works', async () => {
    if (native) assert.equal(await selectBackend('tensorflow'), 'tensorflow');
    else
      await assert.rejects(
        selectBackend('tensorflow'),
        /backend tensorflow requested but neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node can be loaded/,
      );
    await assert.rejects(
      selectBackend('gpu' as 'cpu'),
      /backend preference must be one of auto\|tensorflow\|wasm\|cpu, got gpu/,
    );
    assert.equal(await selectBackend('cpu'), 'cpu');
  });
});
