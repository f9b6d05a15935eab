/**
 * Run-length encoding of a superpixel label map (row-major), for the stored JSON result: SLIC
 * superpixels are contiguous, so a row crosses few labels and a 224x224 map of ~50 superpixels
 * shrinks from 50,176 numbers to a few thousand. Pairs are `[label, runLength, label, ...]`.
 */
export function encodeSegments(segments: ArrayLike<number>): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < segments.length) {
    const label = segments[i];
    let j = i + 1;
    while (j < segments.length && segments[j] === label) j++;
    out.push(label, j - i);
    i = j;
  }
  return out;
}

/** The inverse of encodeSegments. */
export function decodeSegments(rle: readonly number[]): Int32Array {
  let n = 0;
  for (let k = 1; k < rle.length; k += 2) n += rle[k];
  const out = new Int32Array(n);
  let o = 0;
  for (let k = 0; k < rle.length; k += 2) {
    out.fill(rle[k], o, o + rle[k + 1]);
    o += rle[k + 1];
  }
  return out;
}
