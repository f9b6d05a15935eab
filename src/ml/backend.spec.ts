import * as tf from '@tensorflow/tfjs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from './backend';

describe('selectBackend', () => {
  test('auto falls back to wasm when no native TensorFlow package is installed (this machine)', async () => {
    const lines: string[] = [];
    const name = await selectBackend('auto', (m) => lines.push(m));
    assert.equal(name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(lines.some((l) => l.includes('@tensorflow/tfjs-node not loadable')));
    assert.ok(lines.some((l) => /backend: wasm \(simd on/.test(l)));
    // The composite gradient kernels are in place for wasm.
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined);
  });

  test('an explicit preference that cannot be honoured is an error; cpu always works', async () => {
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
