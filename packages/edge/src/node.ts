/** Node-only parts of @autodl/edge: bundle folders (`autodl models bundle -o dir`) and heads in files. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type LoadedBundle, modelFromArtifacts, parseManifest } from './bundle';
import { EdgeModel, type EdgeModelOptions } from './edge-model';
import type { HeadStore } from './head-store';

/** The manifest file of a bundle folder. */
export const BUNDLE_MANIFEST_FILE = 'bundle.json';

/** A bundle written to a folder: bundle.json and the files it names (relative URLs). */
export async function loadBundleFromDirectory(dir: string): Promise<LoadedBundle> {
  const manifest = parseManifest(
    JSON.parse(await readFile(path.join(dir, BUNDLE_MANIFEST_FILE), 'utf8')),
  );
  const local = (name: string) => {
    const file = manifest.files.find((f) => f.name === name);
    if (!file) throw new Error(`bundle manifest lists no ${name}`);
    return path.join(dir, path.basename(file.url));
  };
  const modelJson = JSON.parse(await readFile(local('model.json'), 'utf8'));
  const weights = await readFile(local('weights.bin'));
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return { manifest, model: await modelFromArtifacts(modelJson, buffer as ArrayBuffer) };
}

/** An EdgeModel from a bundle folder. */
export async function edgeModelFromDirectory(
  dir: string,
  options: EdgeModelOptions = {},
): Promise<EdgeModel> {
  const { manifest, model } = await loadBundleFromDirectory(dir);
  return new EdgeModel(
    model,
    { id: manifest.model.id, labels: manifest.labels, input: manifest.input },
    options,
  );
}

/** Heads as `<dir>/<key>/model.json` + `weights.bin` (the TF.js layers format). */
export function fileHeadStore(dir: string): HeadStore {
  return {
    handler(key: string): tf.io.IOHandler {
      const folder = path.join(dir, ...key.split('/').filter((p) => p && p !== '..' && p !== '.'));
      return {
        async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
          await mkdir(folder, { recursive: true });
          const weights = Buffer.from(artifacts.weightData as ArrayBuffer);
          const doc = {
            modelTopology: artifacts.modelTopology,
            format: artifacts.format,
            generatedBy: artifacts.generatedBy,
            weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
          };
          await writeFile(path.join(folder, 'model.json'), JSON.stringify(doc));
          await writeFile(path.join(folder, 'weights.bin'), weights);
          return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
        },
        async load(): Promise<tf.io.ModelArtifacts> {
          const doc = JSON.parse(await readFile(path.join(folder, 'model.json'), 'utf8'));
          const weights = await readFile(path.join(folder, 'weights.bin'));
          return {
            modelTopology: doc.modelTopology,
            weightSpecs: doc.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
            weightData: weights.buffer.slice(
              weights.byteOffset,
              weights.byteOffset + weights.byteLength,
            ) as ArrayBuffer,
          };
        },
      };
    },
  };
}
