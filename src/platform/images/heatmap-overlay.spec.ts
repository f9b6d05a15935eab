import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { divergingColor, heatmapOverlay } from './heatmap-overlay';

const decode = (buf: Buffer): PNG => PNG.sync.read(buf);

describe('images', () => {
  test('heatmap overlay: positive weights redden, negative weights blue, zero weight keeps the pixel', () => {
    const png = decode(
      heatmapOverlay({
        width: 3,
        height: 1,
        rgb: new Float32Array(9).fill(0.5),
        weights: [1, -1, 0],
        alpha: 1,
      }),
    );
    const px = (x: number): number[] => Array.from(png.data.subarray(x * 4, x * 4 + 3));
    assert.deepEqual(px(0), [...divergingColor(1)]);
    assert.deepEqual(px(1), [...divergingColor(-1)]);
    assert.deepEqual(px(2), [128, 128, 128]);
    const big = decode(
      heatmapOverlay({
        width: 2,
        height: 2,
        rgb: new Uint8Array(12),
        weights: [0, 0, 0, 0],
        scale: 4,
      }),
    );
    assert.deepEqual([big.width, big.height], [8, 8]);
    assert.throws(
      () => heatmapOverlay({ width: 2, height: 2, rgb: new Uint8Array(3), weights: [0] }),
      /rgb must hold/,
    );
  });
});
