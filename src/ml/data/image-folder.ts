/**
 * Directory import of class folders of images (`<dir>/<class>/<image>.png|jpg`), for the CLI and
 * for server-side paths. Same rules and errors as the zip upload (image-zip.ts); symbolic links are
 * refused so an import cannot read outside the folder, and the entry/byte limits apply.
 */
import { lstat, readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Dataset, ProblemCollector, unprocessable } from './dataset';
import { decodeImage } from './image';
import {
  DEFAULT_ZIP_LIMITS,
  IMAGE_EXTENSIONS,
  ImageEntry,
  ImageZipOptions,
  assembleImageDataset,
  isIgnored,
  validateImageOptions,
} from './image-zip';

export async function loadImageFolder(
  dir: string,
  options: ImageZipOptions = {},
): Promise<Dataset> {
  const limits = { ...DEFAULT_ZIP_LIMITS, ...options.limits };
  validateImageOptions(options, limits);
  const name = path.basename(path.resolve(dir));
  try {
    if (!(await lstat(dir)).isDirectory()) throw unprocessable(dir, 'is not a directory');
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT')
      throw unprocessable(dir, 'does not exist');
    throw err;
  }
  const problems = new ProblemCollector();
  const images: ImageEntry[] = [];
  const folders: string[] = [];
  let entries = 0;
  let total = 0;
  const walk = async (rel: string): Promise<void> => {
    const children = await readdir(path.join(dir, rel), { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const child of children) {
      const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
      if (isIgnored(childRel)) continue;
      entries++;
      if (entries > limits.maxEntries)
        throw unprocessable(name, `folder has more than ${limits.maxEntries} entries (limit)`);
      const where = `${name}:${childRel}`;
      if (child.isSymbolicLink()) {
        problems.add(where, 'symbolic links are refused');
      } else if (child.isDirectory()) {
        folders.push(`${childRel}/`);
        await walk(childRel);
      } else if (!child.isFile() || !IMAGE_EXTENSIONS.test(child.name)) {
        problems.add(where, 'unsupported file type: expected .png, .jpg or .jpeg');
      } else {
        const data = await readFile(path.join(dir, childRel));
        total += data.length;
        if (total > limits.maxTotalBytes)
          throw unprocessable(
            name,
            `folder holds more than ${limits.maxTotalBytes} bytes of images (limit)`,
          );
        try {
          images.push({ path: childRel, image: decodeImage(data, limits.maxPixels) });
        } catch (err) {
          problems.add(where, `corrupt or unreadable image: ${(err as Error).message}`);
        }
      }
    }
  };
  await walk('');
  problems.throwIfAny(`${name} is not a valid image folder`);
  return assembleImageDataset(images, folders, name, options);
}
