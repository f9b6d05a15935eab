/**
 * Width and height of a PNG or JPEG read from its header alone, so that pixel limits are checked
 * before anything is decoded (a 47 KB PNG can declare 4000x4000 pixels, 64 MB once decoded).
 *
 * PNG: the IHDR chunk always comes first, width and height as big-endian uint32 at bytes 16-23
 * (PNG spec, 3rd ed., 11.2.2). JPEG: the first start-of-frame segment (SOF0-SOF15 except DHT C4,
 * JPG C8 and DAC CC) holds precision, height, width (ITU-T T.81, B.2.2); segments before it are
 * skipped by their length, standalone markers (RSTn, TEM) and fill bytes (FF FF) have none.
 */
import type { ImageFormat } from './image';

export interface ImageDimensions {
  format: ImageFormat;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Throws an Error with a human reason when the header is missing, truncated or malformed. */
export function readImageDimensions(buffer: Uint8Array): ImageDimensions {
  if (buffer.length >= 8 && PNG_SIGNATURE.every((b, i) => buffer[i] === b)) return pngSize(buffer);
  if (buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff)
    return jpegSize(buffer);
  throw new Error('not a PNG or JPEG file (unknown signature)');
}

function uint32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function uint16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function pngSize(b: Uint8Array): ImageDimensions {
  if (b.length < 24) throw new Error('truncated PNG header');
  const type = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (type !== 'IHDR') throw new Error('PNG does not start with an IHDR chunk');
  const width = uint32(b, 16);
  const height = uint32(b, 20);
  if (width === 0 || height === 0) throw new Error(`PNG declares ${width}x${height} pixels`);
  return { format: 'png', width, height };
}

function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegSize(b: Uint8Array): ImageDimensions {
  let at = 2;
  while (at < b.length) {
    if (b[at] !== 0xff) throw new Error(`JPEG marker expected at byte ${at}`);
    while (at < b.length && b[at] === 0xff) at++; // fill bytes
    if (at >= b.length) break;
    const marker = b[at++];
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (marker === 0xd9 || marker === 0xda) break; // end of image / start of scan: no frame
    if (at + 2 > b.length) break;
    const length = uint16(b, at);
    if (length < 2) throw new Error(`JPEG segment of length ${length} at byte ${at}`);
    if (isStartOfFrame(marker)) {
      if (at + 7 > b.length) break;
      const height = uint16(b, at + 3);
      const width = uint16(b, at + 5);
      // Height 0 means "defined later by a DNL marker" (T.81 B.2.5), which decoders rarely support.
      if (width === 0 || height === 0) throw new Error(`JPEG declares ${width}x${height} pixels`);
      return { format: 'jpeg', width, height };
    }
    at += length;
  }
  throw new Error('truncated JPEG: no start-of-frame header');
}
