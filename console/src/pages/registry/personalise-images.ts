/**
 * Images for on-device personalisation: decoded and resized in the page (a canvas), as the
 * service's decoder does on upload (src/ml/data/image.ts: RGB in [0, 1], gray by the ITU-R 601
 * luma weights), so the pixels never leave the tab.
 */
export async function imagePixels(
  file: Blob,
  [height, width, channels]: readonly number[],
): Promise<Float32Array> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser has no 2D canvas');
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const out = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
    if (channels === 1) out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    else for (let k = 0; k < 3; k++) out[3 * p + k] = rgba[4 * p + k] / 255;
  }
  return out;
}
