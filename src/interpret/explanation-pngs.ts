import { barsHeight, barsOption, chartPng } from '../platform/charts/chart-images';
import { examplePng } from '../datasets/example-png';
import { heatmapOverlay } from '../platform/images/heatmap-overlay';
import type { ExplainedInstance } from './core/explain-instance';
import type { ExplainableModel } from './core/explainable-model';
import type { Instance } from './core/instances';
import type { ImageExplanation, RgbImage } from './core/types';

/** The PNG artifacts of the explanation jobs: images, heatmaps and bar charts. */

/** Heatmaps are drawn about 256 px on the long side (integer scale 1 to 8). */
function heatmapScale(img: { width: number; height: number }): number {
  return Math.max(1, Math.min(8, Math.floor(256 / Math.max(img.width, img.height))));
}

/**
 * The explained image itself as a PNG (the console draws the LIME weights over it): the data
 * set's example thumbnail of the model input's pixels, so both are upscaled by the same rule.
 */
export function inputPng(img: RgbImage): Buffer {
  return examplePng(img.data, { width: img.width, height: img.height, channels: 3 });
}

/** PNG of one explanation: a heatmap over the image, or a bar chart of the top features. */
export function explanationPng(
  model: ExplainableModel,
  instance: Instance,
  r: ExplainedInstance,
): Buffer {
  const e = r.explanation;
  if (e.kind === 'image') {
    const img = instance as RgbImage;
    const ie = e as ImageExplanation;
    return heatmapOverlay({
      width: img.width,
      height: img.height,
      rgb: img.data,
      weights: ie.heatmap,
      scale: heatmapScale(img),
    });
  }
  const top = e.features.slice(0, 15);
  return chartPng(
    barsOption({
      title: `LIME: ${model.classNames[e.label] ?? e.label}`,
      labels: top.map((f) => f.name.slice(0, 40)),
      values: top.map((f) => f.weight),
      valueLabel: 'local weight',
    }),
    { width: 640, height: barsHeight(top.length) },
  );
}

/** A concept map: each pixel shows the class importance of its superpixel's concept. */
export function conceptMapPng(image: RgbImage, weights: Float32Array): Buffer {
  return heatmapOverlay({
    width: image.width,
    height: image.height,
    rgb: image.data,
    weights,
    scale: heatmapScale(image),
  });
}

/** NormLIME bar chart of a class: its 15 most important features. */
export function classImportancePng(
  className: string,
  ranking: readonly { feature: string; importance: number }[],
): Buffer {
  const top = ranking.slice(0, 15);
  return chartPng(
    barsOption({
      title: `NormLIME: ${className}`,
      labels: top.map((t) => t.feature.slice(0, 40)),
      values: top.map((t) => t.importance),
      valueLabel: 'importance',
    }),
    { width: 640, height: barsHeight(top.length) },
  );
}
