import * as tf from '@tensorflow/tfjs';

/** The format tag of an export bundle's manifest (`GET /v1/models/:id/bundle`). */
export const BUNDLE_FORMAT = 'autodl-edge-bundle/1';

/** One file of a bundle: `url` is absolute, or relative to the manifest's own address. */
export interface BundleFile {
  name: string;
  url: string;
  size: number;
  sha256: string;
  contentType: string;
}

/** What the model needs of its inputs, as the registry's model card states it. */
export interface InputContract {
  kind: 'image' | 'tabular' | 'text';
  /** Without the batch axis: [h, w, c] for images (pixels in [0, 1], HWC), [features] for rows. */
  shape: number[];
  featureNames: string[] | null;
  preprocessing: {
    /** Tabular: per-feature z-score of the training split. */
    normalise?: { mean: number[]; std: number[] };
    sequenceLength?: number;
  };
}

/** A smaller model of the same family (a pruned child in the registry), for small devices. */
export interface BundleVariant {
  id: string;
  name: string;
  params: number;
  flops: number;
  accuracy: number | null;
  /** The variant's own bundle manifest. */
  bundle: string;
}

/** The manifest of an export bundle. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  model: { id: string; name: string; architecture: string; params: number; flops: number };
  labels: string[];
  input: InputContract;
  files: BundleFile[];
  variants: BundleVariant[];
}

/** A loaded bundle: its manifest and the TF.js LayersModel its files describe. */
export interface LoadedBundle {
  manifest: BundleManifest;
  model: tf.LayersModel;
}

/** Where a bundle comes from: the service (id or name of a registered model), or any URL. */
export type BundleSource =
  { service: string; model: string; apiKey?: string } | { url: string; apiKey?: string };

/** Fetch as the library uses it: the global one by default, injectable for tests and proxies. */
export type Fetch = (
  url: string,
  init?: { headers?: Record<string, string> },
) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

/**
 * Fetches a bundle's manifest and its model files (model.json, weights.bin) and builds the model.
 * These GETs are the only requests the library makes on its own: samples never leave the device.
 */
export async function loadBundle(
  source: BundleSource,
  fetchImpl: Fetch = globalThis.fetch as unknown as Fetch,
): Promise<LoadedBundle> {
  const manifestUrl =
    'service' in source
      ? `${source.service.replace(/\/+$/, '')}/v1/models/${encodeURIComponent(source.model)}/bundle`
      : source.url;
  const headers: Record<string, string> = source.apiKey
    ? { Authorization: `Bearer ${source.apiKey}` }
    : {};
  const get = async (url: string) => {
    const res = await fetchImpl(url, { headers });
    if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
    return res;
  };
  const manifest = parseManifest(await (await get(manifestUrl)).json());
  const fileUrl = (name: string) => new URL(fileOf(manifest, name).url, manifestUrl).toString();
  const [modelJson, weights] = await Promise.all([
    get(fileUrl('model.json')).then((r) => r.json()),
    get(fileUrl('weights.bin')).then((r) => r.arrayBuffer()),
  ]);
  return { manifest, model: await modelFromArtifacts(modelJson, weights) };
}

/** A LayersModel from a model.json document and its single weights file. */
export async function modelFromArtifacts(
  modelJson: unknown,
  weights: ArrayBuffer,
): Promise<tf.LayersModel> {
  const doc = modelJson as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  if (!doc || typeof doc !== 'object' || !doc.modelTopology || !doc.weightsManifest) {
    throw new Error('model.json is not a TF.js LayersModel (no modelTopology/weightsManifest)');
  }
  const specs = doc.weightsManifest.flatMap((g) => g.weights);
  return tf.loadLayersModel(tf.io.fromMemory(doc.modelTopology, specs, weights));
}

/** Checks a manifest's shape, so a wrong URL fails here with a message, not later in TF.js. */
export function parseManifest(value: unknown): BundleManifest {
  const m = value as Partial<BundleManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== BUNDLE_FORMAT) {
    throw new Error(`not an export bundle manifest: format is not "${BUNDLE_FORMAT}"`);
  }
  if (!Array.isArray(m.labels) || m.labels.length < 2) {
    throw new Error('bundle manifest: labels must list at least 2 class names');
  }
  if (!m.input || !Array.isArray(m.input.shape) || !Array.isArray(m.files) || !m.model) {
    throw new Error('bundle manifest: input, files and model are required');
  }
  return { ...m, variants: m.variants ?? [] } as BundleManifest;
}

function fileOf(manifest: BundleManifest, name: string): BundleFile {
  const file = manifest.files.find((f) => f.name === name);
  if (!file) throw new Error(`bundle manifest lists no ${name}`);
  return file;
}
