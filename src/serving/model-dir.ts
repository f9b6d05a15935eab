import { copyFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { ArtifactStore } from '../platform/artifacts/artifact-store';
import type { StoredModelFiles } from '../registry/model-storage';

/**
 * The directory of a registered model's files for DeploymentRuntime: where the artifact store
 * keeps them when model.json and weights.bin sit side by side (the registry's own writes always
 * do), else a copy staged under `staging/<id>`.
 */
export async function modelDirOf(
  store: ArtifactStore,
  model: StoredModelFiles & { id: string },
  staging: () => Promise<string>,
): Promise<string> {
  const json = store.resolve(model.modelJsonPath);
  const weights = store.resolve(model.weightsPath);
  if (
    path.dirname(json) === path.dirname(weights) &&
    path.basename(json) === 'model.json' &&
    path.basename(weights) === 'weights.bin'
  ) {
    return path.dirname(json);
  }
  const dir = path.join(await staging(), model.id);
  await mkdir(dir, { recursive: true });
  await copyFile(json, path.join(dir, 'model.json'));
  await copyFile(weights, path.join(dir, 'weights.bin'));
  return dir;
}
