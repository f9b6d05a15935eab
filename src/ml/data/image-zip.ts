/**
 * A zip of class folders of PNG/JPEG images (`cat/001.png`, `dog/002.jpg`, optionally under one
 * common top folder), the layout of Keras' `image_dataset_from_directory` and EasyDL uploads.
 *
 * Hostile archives are refused, with the entry named: path traversal (`..` segments, absolute
 * paths), zip bombs (entry count, total inflated bytes and per-entry inflation ratio are counted
 * on the bytes actually inflated, never taken from the headers; yauzl also stops an entry that
 * inflates past its declared size), pixel bombs (every image's width x height is read from its
 * header before anything is decoded, per image and summed over the archive, where a resized image
 * counts with the larger of its source and target sizes), corrupt images, mixed sizes without an
 * explicit resize, empty class folders. All problems are reported together; nothing is returned
 * half-parsed.
 */
import * as yauzl from 'yauzl';
import type { Readable } from 'node:stream';
import { ValidationError } from '../../platform/errors/domain-error';
import { Dataset, ProblemCollector, unprocessable } from './dataset';
import { readImageDimensions } from './image-header';
import {
  DecodedImage,
  ResizeMethod,
  decodeImage,
  isGray,
  resizeImage,
  toFloatChannels,
} from './image';

export interface ZipLimits {
  /** Entries (files and folders) in the archive. */
  maxEntries: number;
  /** Sum of inflated bytes over all entries. */
  maxTotalBytes: number;
  /** Inflated/compressed bytes of one entry, checked once it has inflated `ratioGraceBytes`. */
  maxRatio: number;
  ratioGraceBytes: number;
  /** Pixels of one decoded image. */
  maxPixels: number;
  /** Pixels of all images together (the service's AUTODL_DATASET_MAX_PIXELS). */
  maxTotalPixels: number;
}

/** Named defaults: generous for real image folders (PNG/JPEG hardly compress), fatal for bombs. */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 100_000,
  maxTotalBytes: 2 * 1024 ** 3,
  maxRatio: 100,
  ratioGraceBytes: 1024 * 1024,
  maxPixels: 4096 * 4096,
  maxTotalPixels: 2 ** 25,
};

export interface ImageZipOptions {
  /** Without it, every image must have the size of the first one (in path order). */
  resize?: { method: ResizeMethod; height?: number; width?: number };
  /** `auto` (default): 1 channel when every image is gray (R = G = B), else 3 (RGB). */
  channels?: 1 | 3 | 'auto';
  limits?: Partial<ZipLimits>;
}

export const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

export interface ImageEntry {
  path: string;
  image: DecodedImage;
}

export async function parseImageZip(
  buffer: Buffer,
  file: string,
  options: ImageZipOptions = {},
): Promise<Dataset> {
  const limits = { ...DEFAULT_ZIP_LIMITS, ...options.limits };
  validateImageOptions(options, limits);
  const problems = new ProblemCollector();
  const { images, folders } = await readArchive(buffer, file, limits, options.resize, problems);
  problems.throwIfAny(`${file} is not a valid image archive`);
  return assembleImageDataset(images, folders, file, options);
}

/**
 * Builds the data set from decoded images keyed by their `/`-separated relative paths and the
 * folder paths seen (ending in `/`): the class-folder rules shared by zip and directory imports.
 */
export function assembleImageDataset(
  images: readonly ImageEntry[],
  folders: readonly string[],
  file: string,
  options: ImageZipOptions,
): Dataset {
  const problems = new ProblemCollector();
  const paths = images.map((e) => e.path);
  const prefix = commonTopFolder(paths);
  const strip = (p: string): string =>
    prefix !== undefined && p.startsWith(prefix) ? p.slice(prefix.length) : p;
  const byClass = new Map<string, ImageEntry[]>();
  for (const entry of images) {
    const rel = strip(entry.path);
    const slash = rel.indexOf('/');
    if (slash <= 0) {
      problems.add(
        `${file}:${entry.path}`,
        'image is not inside a class folder (expected <class>/<image>)',
      );
      continue;
    }
    const cls = rel.slice(0, slash);
    const list = byClass.get(cls) ?? [];
    list.push(entry);
    byClass.set(cls, list);
  }
  for (const folder of folders) {
    const rel = strip(folder);
    const cls = rel.split('/')[0];
    if (cls !== '' && rel === `${cls}/` && !byClass.has(cls)) {
      problems.add(`${file}:${folder}`, `class folder "${cls}" has no images`);
    }
  }
  problems.throwIfAny(`${file} is not a valid image archive`);
  if (byClass.size === 0) throw unprocessable(file, 'the archive contains no images');

  const classNames = [...byClass.keys()].sort();
  const ordered = classNames.flatMap((cls, label) =>
    (byClass.get(cls) ?? [])
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((e) => ({ ...e, label })),
  );

  const reference = ordered[0];
  const target = {
    height: options.resize?.height ?? reference.image.height,
    width: options.resize?.width ?? reference.image.width,
  };
  if (options.resize === undefined) {
    for (const e of ordered) {
      if (e.image.height !== target.height || e.image.width !== target.width) {
        problems.add(
          `${file}:${e.path}`,
          `image is ${e.image.width}x${e.image.height} but ${reference.path} is ${target.width}x${target.height}; ` +
            'pass a resize option (nearest or bilinear) to resize them',
        );
      }
    }
    problems.throwIfAny(`${file} mixes image sizes`);
  }
  const channels =
    options.channels === undefined || options.channels === 'auto'
      ? ordered.every((e) => isGray(e.image))
        ? 1
        : 3
      : options.channels;
  const shape = { height: target.height, width: target.width, channels };
  const pixels = ordered.map((e) => {
    const src = toFloatChannels(e.image, channels);
    const from = { height: e.image.height, width: e.image.width, channels };
    return options.resize === undefined
      ? src
      : resizeImage(src, from, target, options.resize.method);
  });
  return new Dataset(
    { kind: 'image', shape, pixels },
    ordered.map((e) => e.label),
    classNames,
  );
}

export function validateImageOptions(options: ImageZipOptions, limits: ZipLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!(typeof value === 'number' && value > 0)) {
      throw ValidationError.field(`limits.${name}`, `must be a positive number, got ${value}`);
    }
  }
  const { resize, channels } = options;
  if (resize !== undefined) {
    if (resize.method !== 'nearest' && resize.method !== 'bilinear') {
      throw ValidationError.field(
        'resize.method',
        `must be nearest or bilinear, got ${JSON.stringify(resize.method)}`,
      );
    }
    for (const key of ['height', 'width'] as const) {
      const v = resize[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
        throw ValidationError.field(`resize.${key}`, `must be a positive integer, got ${v}`);
      }
    }
  }
  if (channels !== undefined && channels !== 1 && channels !== 3 && channels !== 'auto') {
    throw ValidationError.field(
      'channels',
      `must be 1, 3 or auto, got ${JSON.stringify(channels)}`,
    );
  }
}

/** The single folder every image sits under when there is one and class folders are inside it. */
function commonTopFolder(paths: readonly string[]): string | undefined {
  if (paths.length === 0) return undefined;
  const tops = new Set(paths.map((p) => p.split('/')[0]));
  if (tops.size !== 1) return undefined;
  const deep = paths.every((p) => p.split('/').length >= 3);
  return deep ? `${[...tops][0]}/` : undefined;
}

export function isIgnored(path: string): boolean {
  const segments = path.split('/');
  return segments[0] === '__MACOSX' || segments.some((s) => s.startsWith('.') && s !== '');
}

function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false);
}

/** `undefined` when the path is safe to interpret, else why it is refused. */
export function unsafePathReason(path: string): string | undefined {
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return 'absolute path refused';
  if (path.split('/').includes('..')) return 'path traversal ("..") refused';
  if (path.includes('\0')) return 'NUL byte in path refused';
  return undefined;
}

async function readArchive(
  buffer: Buffer,
  file: string,
  limits: ZipLimits,
  resize: ImageZipOptions['resize'],
  problems: ProblemCollector,
): Promise<{ images: ImageEntry[]; folders: string[] }> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(buffer, {
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw unprocessable(file, `not a valid zip archive (${(err as Error).message})`);
  }
  // In archive order: an image still to decode, or a problem found while reading.
  const found: ({ path: string; data: Buffer | null } | { where: string; problem: string })[] = [];
  const refuse = (name: string, problem: string): void => {
    found.push({ where: `${file}:${name}`, problem });
  };
  const folders: string[] = [];
  let entries = 0;
  let total = 0;
  let pixels = 0;
  try {
    for (;;) {
      const entry = await nextEntry(zip, file);
      if (entry === undefined) break;
      entries++;
      if (entries > limits.maxEntries) {
        throw unprocessable(file, `archive has more than ${limits.maxEntries} entries (limit)`);
      }
      const name = entryName(entry);
      const unsafe = unsafePathReason(name);
      if (unsafe !== undefined) {
        refuse(name, unsafe);
        continue;
      }
      if (isIgnored(name)) continue;
      if (name.endsWith('/')) {
        folders.push(name);
        continue;
      }
      if (!IMAGE_EXTENSIONS.test(name)) {
        refuse(name, 'unsupported file type: expected .png, .jpg or .jpeg');
        continue;
      }
      const data = await inflate(zip, entry, `${file}:${name}`, limits, total);
      total += data.length;
      const size = headerPixels(data, resize);
      if (typeof size === 'string') {
        refuse(name, size);
        continue;
      }
      if (size > limits.maxPixels) {
        refuse(name, `image of ${size} pixels exceeds the limit of ${limits.maxPixels} per image`);
        continue;
      }
      pixels += size;
      if (pixels > limits.maxTotalPixels) {
        throw unprocessable(
          file,
          `the images add up to more than ${limits.maxTotalPixels} pixels (width x height, read from their headers), ` +
            'the limit per data set (AUTODL_DATASET_MAX_PIXELS); nothing was decoded',
        );
      }
      found.push({ path: name, data });
    }
  } finally {
    zip.close();
  }
  // Decoded only once the whole archive is known to fit; each file is dropped once decoded.
  const images: ImageEntry[] = [];
  for (const e of found) {
    if ('problem' in e) {
      problems.add(e.where, e.problem);
      continue;
    }
    try {
      images.push({ path: e.path, image: decodeImage(e.data as Buffer, limits.maxPixels) });
    } catch (err) {
      problems.add(`${file}:${e.path}`, `corrupt or unreadable image: ${(err as Error).message}`);
    }
    e.data = null;
  }
  return { images, folders };
}

/**
 * Pixels an image costs from its header alone: its own size, or the resize target when larger
 * (both are held while it is converted). A string says why the header is unreadable.
 */
function headerPixels(data: Buffer, resize: ImageZipOptions['resize']): number | string {
  try {
    const { width, height } = readImageDimensions(data);
    const target = resize ? (resize.height ?? height) * (resize.width ?? width) : 0;
    return Math.max(width * height, target);
  } catch (err) {
    return `corrupt or unreadable image: ${(err as Error).message}`;
  }
}

function nextEntry(zip: yauzl.ZipFile, file: string): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.removeListener('entry', onEntry);
      zip.removeListener('end', onEnd);
      zip.removeListener('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(unprocessable(file, `not a valid zip archive (${err.message})`));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** Inflates one entry, counting bytes as they arrive and aborting at the first limit crossed. */
function inflate(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  where: string,
  limits: ZipLimits,
  totalBefore: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream: Readable) => {
      if (err) {
        reject(unprocessable(where, `cannot read entry (${err.message})`));
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      let failed = false;
      const fail = (message: string): void => {
        if (failed) return;
        failed = true;
        stream.destroy();
        reject(unprocessable(where, message));
      };
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (totalBefore + bytes > limits.maxTotalBytes) {
          fail(`archive inflates to more than ${limits.maxTotalBytes} bytes (zip bomb limit)`);
        } else if (
          bytes > limits.ratioGraceBytes &&
          bytes > limits.maxRatio * Math.max(1, entry.compressedSize)
        ) {
          fail(
            `entry inflates more than ${limits.maxRatio}x its compressed size of ${entry.compressedSize} bytes (zip bomb limit)`,
          );
        } else {
          chunks.push(chunk);
        }
      });
      stream.on('error', (e: Error) => fail(`corrupt entry (${e.message})`));
      stream.on('end', () => {
        if (!failed) resolve(Buffer.concat(chunks));
      });
    });
  });
}
