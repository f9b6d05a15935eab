import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import {
  barChart,
  divergingColor,
  formatTick,
  heatmapOverlay,
  lineChart,
  niceTicks,
  scatterChart,
} from './index';
import { glyph, textWidth } from './font';

const decode = (buf: Buffer): PNG => PNG.sync.read(buf);

describe('charts', () => {
  test('niceTicks uses 1-2-5 steps covering the range (Heckbert 1990)', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 97, 5), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(-0.013, 0.021, 4), [-0.02, -0.01, 0, 0.01, 0.02, 0.03]);
    assert.equal(formatTick(0.30000000000000004), '0.3');
    assert.equal(formatTick(250000), '2.5e5');
  });

  test('5x7 font: glyph bitmaps and text width (6 px advance, no trailing gap)', () => {
    assert.equal(
      glyph('1').reduce((s, v) => s + v, 0),
      10,
    );
    assert.equal(textWidth('abc'), 17);
    assert.equal(textWidth('abc', 2), 34);
  });

  test('line, bar and scatter charts decode as PNGs of the requested size, with byte-identical reruns', () => {
    const series = [
      { name: 'p50', points: [0, 1, 2, 3].map((x) => ({ x, y: x * x })) },
      { name: 'p99', points: [0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })) },
    ];
    const line = lineChart({
      title: 'Latency',
      xLabel: 'load',
      yLabel: 'ms',
      series,
      width: 320,
      height: 200,
    });
    const png = decode(line);
    assert.equal(png.width, 320);
    assert.equal(png.height, 200);
    assert.ok(
      line.equals(
        lineChart({
          title: 'Latency',
          xLabel: 'load',
          yLabel: 'ms',
          series,
          width: 320,
          height: 200,
        }),
      ),
    );
    const bar = barChart({
      title: 'NormLIME',
      labels: ['a', 'b', 'long name'],
      values: [0.5, -0.2, 0.1],
    });
    assert.equal(decode(bar).width, 640);
    const vbar = barChart({
      labels: ['x', 'y'],
      values: [1, 2],
      orientation: 'vertical',
      width: 200,
      height: 150,
    });
    assert.deepEqual([decode(vbar).width, decode(vbar).height], [200, 150]);
    const scatter = scatterChart({
      points: [
        { x: 1, y: 2 },
        { x: 2, y: 1 },
        { x: 3, y: 3 },
      ],
      front: [
        { x: 1, y: 2 },
        { x: 2, y: 1 },
      ],
      width: 300,
      height: 200,
    });
    assert.equal(decode(scatter).height, 200);
    assert.throws(
      () => barChart({ labels: ['a'], values: [1, 2] }),
      /values must have one entry per label/,
    );
  });

  test('bar lengths are proportional to values: the 0.5 bar is about 5x the 0.1 bar', () => {
    const png = decode(
      barChart({
        labels: ['a', 'b'],
        values: [0.5, 0.1],
        width: 400,
        height: 160,
        color: [255, 0, 0],
      }),
    );
    const redRun = (y: number): number => {
      let n = 0;
      for (let x = 0; x < png.width; x++) {
        const o = (y * png.width + x) * 4;
        if (png.data[o] === 255 && png.data[o + 1] === 0) n++;
      }
      return n;
    };
    const runs: number[] = [];
    for (let y = 0; y < png.height; y++) runs.push(redRun(y));
    const a = Math.max(...runs.slice(0, png.height / 2));
    const b = Math.max(...runs.slice(png.height / 2));
    assert.ok(Math.abs(a / b - 5) < 0.3, `ratio ${a / b}`);
  });

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
