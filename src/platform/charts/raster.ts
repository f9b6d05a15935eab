import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textWidth } from './font';

/** An RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

/**
 * A tiny RGBA raster with just the primitives the charts need (filled rectangles, 1-2 px lines,
 * dots, bitmap text). Integer coordinates, no anti-aliasing: identical input gives identical bytes.
 */
export class Raster {
  readonly data: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    if (!Number.isInteger(width) || width < 1 || width > 8192) {
      throw new RangeError(`width must be an integer in [1, 8192], got ${width}`);
    }
    if (!Number.isInteger(height) || height < 1 || height > 8192) {
      throw new RangeError(`height must be an integer in [1, 8192], got ${height}`);
    }
    this.data = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[i * 4] = background[0];
      this.data[i * 4 + 1] = background[1];
      this.data[i * 4 + 2] = background[2];
      this.data[i * 4 + 3] = 255;
    }
  }

  /** Paint one pixel, blending with `alpha` in [0, 1]; out-of-bounds pixels are ignored. */
  set(x: number, y: number, c: Rgb, alpha = 1): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const o = (yi * this.width + xi) * 4;
    for (let k = 0; k < 3; k++) {
      this.data[o + k] = Math.round(this.data[o + k] * (1 - alpha) + c[k] * alpha);
    }
  }

  fillRect(x0: number, y0: number, w: number, h: number, c: Rgb, alpha = 1): void {
    const xa = Math.max(0, Math.round(x0));
    const ya = Math.max(0, Math.round(y0));
    const xb = Math.min(this.width, Math.round(x0 + w));
    const yb = Math.min(this.height, Math.round(y0 + h));
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) this.set(x, y, c, alpha);
  }

  /** Bresenham line; `thickness` 2 also paints the pixel below/right of each step. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xe = Math.round(x1);
    const ye = Math.round(y1);
    const dx = Math.abs(xe - x);
    const dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1;
    const sy = y < ye ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.set(x, y, c);
      if (thickness > 1) {
        this.set(x + 1, y, c);
        this.set(x, y + 1, c);
      }
      if (x === xe && y === ye) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** Dashed horizontal or vertical guide line (used for grid lines). */
  dashed(x0: number, y0: number, x1: number, y1: number, c: Rgb, dash = 3): void {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
    for (let i = 0; i <= n; i++) {
      if (Math.floor(i / dash) % 2 === 1) continue;
      const t = n === 0 ? 0 : i / n;
      this.set(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, c);
    }
  }

  /** A filled square marker centred on (x, y). */
  dot(x: number, y: number, c: Rgb, radius = 2): void {
    this.fillRect(
      Math.round(x) - radius,
      Math.round(y) - radius,
      2 * radius + 1,
      2 * radius + 1,
      c,
    );
  }

  /** Text with its top-left corner at (x, y). */
  text(x: number, y: number, text: string, c: Rgb, scale = 1): void {
    let cx = Math.round(x);
    const cy = Math.round(y);
    for (const ch of text) {
      const bits = glyph(ch);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (bits[gy * GLYPH_WIDTH + gx])
            this.fillRect(cx + gx * scale, cy + gy * scale, scale, scale, c);
        }
      }
      cx += GLYPH_ADVANCE * scale;
    }
  }

  /** Text rotated 90 degrees counter-clockwise, reading bottom to top, its bottom-left at (x, y). */
  textUp(x: number, y: number, text: string, c: Rgb, scale = 1): void {
    let cy = Math.round(y);
    const cx = Math.round(x);
    for (const ch of text) {
      const bits = glyph(ch);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (bits[gy * GLYPH_WIDTH + gx])
            this.fillRect(cx + gy * scale, cy - (gx + 1) * scale, scale, scale, c);
        }
      }
      cy -= GLYPH_ADVANCE * scale;
    }
  }

  /** Text horizontally centred on `cx`. */
  textCentered(cx: number, y: number, text: string, c: Rgb, scale = 1): void {
    this.text(cx - textWidth(text, scale) / 2, y, text, c, scale);
  }

  /** Encode as an 8-bit RGBA PNG (deterministic: same pixels, same bytes). */
  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    return PNG.sync.write(png, { colorType: 6 });
  }
}
