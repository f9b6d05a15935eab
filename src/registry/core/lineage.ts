/**
 * A model's lineage as the API and the model card serve it: the base model, the data set and the
 * job (columns of the model row) and, for the global model of a federation, the data sets it was
 * trained from. A federation registers its global model with no single data set (datasetId null)
 * and writes the ids into the model's metrics (src/collab/federation-publish.ts,
 * docs/collab.md); they are read back here into structured fields, so existing rows need no
 * migration. A codistill site model's lineage is its own site's data set (datasetId).
 */
export interface ModelLineage {
  baseModelId: string | null;
  datasetId: string | null;
  method: string;
  jobId: string | null;
  /** Federated global models only: every local site's data set, by id. */
  siteDatasetIds?: string[];
  /** Federated global models only: the shared labelled set every site trained on, or null. */
  sharedDatasetId?: string | null;
}

export interface LineageColumns {
  baseModelId: string | null;
  datasetId: string | null;
  method: string;
  jobId: string | null;
  metrics: Readonly<Record<string, unknown>>;
}

/** Methods of models a federation registers (`collab-<algorithm>`). */
const FEDERATED_METHOD = /^collab-/;

export function modelLineage(m: LineageColumns): ModelLineage {
  const lineage: ModelLineage = {
    baseModelId: m.baseModelId,
    datasetId: m.datasetId,
    method: m.method,
    jobId: m.jobId,
  };
  if (!FEDERATED_METHOD.test(m.method) || m.datasetId !== null) return lineage;
  const sites = m.metrics.siteDatasetIds;
  const shared = m.metrics.sharedDatasetId;
  return {
    ...lineage,
    siteDatasetIds: Array.isArray(sites)
      ? sites.filter((s): s is string => typeof s === 'string')
      : [],
    sharedDatasetId: typeof shared === 'string' ? shared : null,
  };
}
