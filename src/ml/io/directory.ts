import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { loadModelFromBuffers, ModelBuffers, WEIGHTS_FILE, weightPaths } from './buffers';

/**
 * Loads a TF.js layers model from a directory holding model.json and the weight files it names
 * (any number of shards). Weight paths must stay inside the directory.
 */
export async function loadModelFromDirectory(dir: string): Promise<tf.LayersModel> {
  const root = path.resolve(dir);
  const jsonPath = path.join(root, 'model.json');
  let modelJson: Buffer;
  try {
    modelJson = await fs.readFile(jsonPath);
  } catch (err) {
    throw new UnprocessableError(`cannot read ${jsonPath}: ${(err as Error).message}`, [
      { field: 'path', message: 'model.json not readable' },
    ]);
  }
  const files: Record<string, Buffer> = {};
  for (const rel of weightPaths(modelJson)) {
    const abs = path.resolve(root, rel);
    if (abs !== root && !abs.startsWith(root + path.sep)) {
      throw new UnprocessableError(`weight path ${rel} escapes the model directory`, [
        { field: rel, message: 'path traversal' },
      ]);
    }
    try {
      files[rel] = await fs.readFile(abs);
    } catch (err) {
      throw new UnprocessableError(`cannot read weight file ${rel}: ${(err as Error).message}`, [
        { field: rel, message: 'weight file not readable' },
      ]);
    }
  }
  return loadModelFromBuffers(modelJson, files);
}

/** Writes model.json and weights.bin into `dir` (created if missing). */
export async function writeModelBuffers(dir: string, buffers: ModelBuffers): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'model.json'), buffers.modelJson);
  await fs.writeFile(path.join(dir, WEIGHTS_FILE), buffers.weights);
}
