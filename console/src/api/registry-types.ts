// Wire types of the data set and model registry routes (src/datasets/datasets.dto.ts and
// src/registry/models.dto.ts are the reference).

export type InputKind = 'image' | 'tabular' | 'text';

export interface Dataset {
  id: string;
  name: string;
  kind: InputKind;
  source: 'upload' | 'packaged' | 'derived';
  options: Record<string, unknown>;
  stats: {
    size: number;
    numClasses: number;
    classNames: string[];
    countsPerClass: Record<string, number>;
    imageShape?: { height: number; width: number; channels: number };
    featureCount?: number;
    meanTokens?: number;
  };
  splitSizes: { train: number; validation: number; test: number };
  fileSize: number;
  createdAt: string;
}

/** GET /v1/datasets/packaged: a packaged set and whether this machine has its files. */
export interface PackagedSet {
  name: string;
  description: string;
  installed: boolean;
  install: string;
}

export interface DatasetExample {
  index: number;
  label: number;
  className: string;
  split: 'train' | 'validation' | 'test';
  features?: Record<string, number>;
  text?: string;
}

export interface Lineage {
  baseModelId: string | null;
  datasetId: string | null;
  method: string;
  jobId: string | null;
  /** Federated global models only: every local site's data set, by id. */
  siteDatasetIds?: string[];
  /** Federated global models only: the shared labelled set, or null. */
  sharedDatasetId?: string | null;
}

export interface Model {
  id: string;
  name: string;
  architecture: string;
  params: number;
  flops: number;
  inputKind: InputKind;
  inputShape: number[];
  classNames: string[];
  featureNames: string[] | null;
  lineage: Lineage;
  metrics: Record<string, unknown>;
  testAccuracy: number | null;
  createdAt: string;
}

export interface Evaluation {
  model: string;
  split: string;
  count: number;
  accuracy: number;
  loss: number;
  classNames: string[];
  precision: (number | null)[];
  recall: (number | null)[];
  confusion: number[][];
}

export interface Prediction {
  label: string;
  classIndex: number;
  probabilities: Record<string, number>;
}

export interface ModelFile {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  url: string;
}
