import { Injectable } from '@nestjs/common';
import { ModelFile, ModelFilesService } from './model-files';
import { ModelEntity } from './model.entity';
import { ModelsService } from './models.service';

/** The manifest format tag packages/edge checks (its BUNDLE_FORMAT). */
export const BUNDLE_FORMAT = 'autodl-edge-bundle/1';

export interface BundleVariant {
  id: string;
  name: string;
  params: number;
  flops: number;
  accuracy: number | null;
  bundle: string;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  model: { id: string; name: string; architecture: string; params: number; flops: number };
  labels: string[];
  input: {
    kind: ModelEntity['inputKind'];
    shape: number[];
    featureNames: string[] | null;
    preprocessing: ModelEntity['preprocessing'];
  };
  files: ModelFile[];
  variants: BundleVariant[];
}

/**
 * `GET /v1/models/:id/bundle`: what a device needs to run and personalise a registered model
 * (packages/edge): the files (model.json, weights.bin, the card; their download routes, sizes
 * and sha256), the class names, the input contract and preprocessing, and the pruned variants a
 * `prune` job registered from it with their FLOPs and parameters (src/ml/flops.ts convention),
 * so a small device can pick one.
 */
@Injectable()
export class ModelBundleService {
  constructor(
    private readonly models: ModelsService,
    private readonly files: ModelFilesService,
  ) {}

  async manifest(projectId: string, ref: string): Promise<BundleManifest> {
    const e = await this.models.get(projectId, ref);
    const { files } = await this.files.list(projectId, e.id);
    const pruned = await this.models.prunedVariants(projectId, e.id);
    return {
      format: BUNDLE_FORMAT,
      model: {
        id: e.id,
        name: e.name,
        architecture: e.architecture,
        params: Number(e.params),
        flops: e.flops,
      },
      labels: e.classNames,
      input: {
        kind: e.inputKind,
        shape: e.inputShape,
        featureNames: e.featureNames,
        preprocessing: e.preprocessing,
      },
      files,
      variants: pruned.map((v) => ({
        id: v.id,
        name: v.name,
        params: Number(v.params),
        flops: v.flops,
        accuracy: accuracyOf(v),
        bundle: `/v1/models/${v.id}/bundle`,
      })),
    };
  }
}

function accuracyOf(e: ModelEntity): number | null {
  const a = e.evaluation?.accuracy ?? e.metrics.accuracy;
  return typeof a === 'number' ? a : null;
}
