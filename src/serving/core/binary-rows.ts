import { ValidationError } from '../../platform/errors/domain-error';

/** The media type of a binary predict body and answer: little-endian float32 rows. */
export const FLOAT32_ROWS = 'application/octet-stream';

/**
 * A binary predict body as the model's input rows: little-endian IEEE-754 float32, `size`
 * values a row, rows back to back (what numpy's `x.astype('<f4').tobytes()` writes), so a
 * client skips JSON's text encoding of every value and the server its parsing. A body that is
 * not a whole number of rows, or holds a NaN or infinity, is a 400 naming the expected size.
 */
export function decodeFloat32Rows(
  bytes: Uint8Array,
  inputShape: readonly number[],
): Float32Array[] {
  const size = inputShape.reduce((a, d) => a * d, 1);
  const rowBytes = 4 * size;
  if (bytes.length === 0 || bytes.length % rowBytes !== 0) {
    throw ValidationError.field(
      'body',
      `must be little-endian float32 rows of ${size} values (input [${inputShape.join(', ')}]), a multiple of ${rowBytes} bytes; got ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const rows: Float32Array[] = [];
  for (let r = 0; r < bytes.length / rowBytes; r++) {
    const row = new Float32Array(size);
    const base = r * rowBytes;
    for (let j = 0; j < size; j++) {
      const v = view.getFloat32(base + 4 * j, true);
      if (!Number.isFinite(v)) {
        throw ValidationError.field(
          'body',
          `row ${r} has a non-finite value at index ${j}: send finite float32 values`,
        );
      }
      row[j] = v;
    }
    rows.push(row);
  }
  return rows;
}

/** Output rows as one little-endian float32 body (rows back to back). */
export function encodeFloat32Rows(rows: readonly ArrayLike<number>[]): Uint8Array<ArrayBuffer> {
  const width = rows.length > 0 ? rows[0].length : 0;
  const out = new Uint8Array(4 * width * rows.length);
  const view = new DataView(out.buffer);
  rows.forEach((row, r) => {
    for (let j = 0; j < width; j++) view.setFloat32(4 * (r * width + j), row[j], true);
  });
  return out;
}
