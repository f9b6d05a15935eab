/** Pixel images (thumbnails, heatmaps over an image) encoded as PNG with `pngjs`. */
export {
  divergingColor,
  heatmapOverlay,
  pixelsPng,
  type HeatmapOverlayOptions,
  type Rgb,
} from './heatmap-overlay';
