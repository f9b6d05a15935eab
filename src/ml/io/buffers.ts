import * as tf from '@tensorflow/tfjs';
import { UnprocessableError } from '../../platform/errors/domain-error';

/** A TF.js LayersModel as the two files of the standard format: model.json and weights.bin. */
export interface ModelBuffers {
  modelJson: Buffer;
  weights: Buffer;
}

export const WEIGHTS_FILE = 'weights.bin';

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function concatWeightData(data: tf.io.WeightData | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((p) => Buffer.from(new Uint8Array(p))));
}

/**
 * Serialises a model to buffers in the layers-model format of tf.io (model.json with one weights
 * manifest group whose single path is weights.bin), so that `tfjs.loadLayersModel` on a directory
 * holding the two files, and loadModelFromBuffers below, both read it back.
 */
export async function saveModelToBuffers(model: tf.LayersModel): Promise<ModelBuffers> {
  let saved: ModelBuffers | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
      };
      saved = {
        modelJson: Buffer.from(JSON.stringify(json), 'utf8'),
        weights: concatWeightData(artifacts.weightData),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (saved === undefined) throw new Error('model.save did not call the save handler');
  return saved;
}

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function parseModelJson(modelJson: Buffer | string): {
  json: Record<string, unknown>;
  manifest: ManifestGroup[];
} {
  let json: unknown;
  try {
    json = JSON.parse(typeof modelJson === 'string' ? modelJson : modelJson.toString('utf8'));
  } catch (err) {
    throw new UnprocessableError(`model.json is not valid JSON: ${(err as Error).message}`, [
      { field: 'model.json', message: 'not valid JSON' },
    ]);
  }
  if (typeof json !== 'object' || json === null || !('modelTopology' in json)) {
    throw new UnprocessableError('model.json has no modelTopology: not a TF.js layers model', [
      { field: 'model.json', message: 'missing modelTopology' },
    ]);
  }
  const record = json as Record<string, unknown>;
  const manifest = (record.weightsManifest ?? []) as unknown;
  if (
    !Array.isArray(manifest) ||
    !manifest.every(
      (g: unknown) =>
        typeof g === 'object' &&
        g !== null &&
        Array.isArray((g as ManifestGroup).paths) &&
        Array.isArray((g as ManifestGroup).weights),
    )
  ) {
    throw new UnprocessableError('model.json weightsManifest must be a list of {paths, weights}', [
      { field: 'model.json.weightsManifest', message: 'malformed' },
    ]);
  }
  return { json: record, manifest: manifest as ManifestGroup[] };
}

/** The weight file names model.json refers to, in manifest order. */
export function weightPaths(modelJson: Buffer | string): string[] {
  return parseModelJson(modelJson).manifest.flatMap((g) => g.paths);
}

/**
 * An IOHandler over in-memory files: model.json plus its weight files by the relative path the
 * manifest names. Shards are concatenated in manifest order, as tf.io's browser/http loaders do.
 */
export function bufferIOHandler(
  modelJson: Buffer | string,
  weightFiles: Record<string, Buffer>,
): tf.io.IOHandler {
  return {
    load: async () => {
      const { json, manifest } = parseModelJson(modelJson);
      const parts: Buffer[] = [];
      const specs: tf.io.WeightsManifestEntry[] = [];
      for (const group of manifest) {
        for (const p of group.paths) {
          const file = weightFiles[p];
          if (file === undefined) {
            throw new UnprocessableError(`weight file ${p} named in model.json is missing`, [
              { field: p, message: 'missing weight file' },
            ]);
          }
          parts.push(file);
        }
        specs.push(...group.weights);
      }
      const expected = specs.reduce(
        (sum, s) => sum + s.shape.reduce((p, d) => p * d, 1) * bytesPer(s.dtype, s.name),
        0,
      );
      const all = Buffer.concat(parts);
      if (all.byteLength !== expected) {
        throw new UnprocessableError(
          `weight files hold ${all.byteLength} bytes but model.json describes ${expected}`,
          [{ field: 'weights', message: 'size does not match the manifest' }],
        );
      }
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        format: json.format as string | undefined,
        generatedBy: json.generatedBy as string | undefined,
        convertedBy: json.convertedBy as string | null | undefined,
        trainingConfig: json.trainingConfig as tf.io.TrainingConfig | undefined,
        userDefinedMetadata:
          json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
        weightSpecs: specs,
        weightData: toArrayBuffer(all),
      };
    },
  };
}

function bytesPer(dtype: string, name: string): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    default:
      throw new UnprocessableError(
        `weight ${name} has unsupported dtype ${dtype} (quantised models are not supported)`,
        [{ field: name, message: `dtype ${dtype}` }],
      );
  }
}

/** Loads a layers model from model.json + weight buffers (never from the network). */
export async function loadModelFromBuffers(
  modelJson: Buffer | string,
  weightFiles: Record<string, Buffer> | Buffer,
): Promise<tf.LayersModel> {
  const files = Buffer.isBuffer(weightFiles) ? singleFile(modelJson, weightFiles) : weightFiles;
  try {
    return await tf.loadLayersModel(bufferIOHandler(modelJson, files));
  } catch (err) {
    if (err instanceof UnprocessableError) throw err;
    throw new UnprocessableError(
      `cannot build the model from model.json: ${(err as Error).message}`,
      [{ field: 'model.json', message: 'not a loadable TF.js layers model' }],
    );
  }
}

/** One buffer for all weights: valid when the manifest names exactly one file. */
function singleFile(modelJson: Buffer | string, weights: Buffer): Record<string, Buffer> {
  const paths = weightPaths(modelJson);
  if (paths.length > 1) {
    throw new UnprocessableError(
      `model.json names ${paths.length} weight files; pass them by name, not as one buffer`,
      [{ field: 'weights', message: 'sharded weights need a file map' }],
    );
  }
  return paths.length === 1 ? { [paths[0]]: weights } : {};
}
