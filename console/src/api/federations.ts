// The federation resources of src/collab/federations.dto.ts as the console reads them.
import type { JobStatus } from './types';

export interface FederationSite {
  name: string;
  /** Lineage: the site's data set by id (null: a remote site's own files). */
  datasetId: string | null;
  /** local: a data set of this service; remote: a site agent on its own files. */
  placement: 'local' | 'remote';
  architecture: string;
  samples: number | null;
  /** A local site placed in a Kubernetes namespace (null: the worker pool). */
  namespace: string | null;
}

export interface SiteRound {
  site: string;
  trainLoss: number | null;
  trainAccuracy: number | null;
  /** The site's own model on its own test split. */
  localAccuracy: number | null;
  updateNorm: number | null;
  accepted: boolean;
  bytesSent: number;
  bytesReceived: number;
}

export interface FederationRound {
  /** 0-based. */
  round: number;
  attempts: number;
  accepted: string[];
  rejected: { site: string; reason: string; norm?: number }[];
  bytesUp: number;
  bytesDown: number;
  globalAccuracy: number | null;
  globalLoss: number | null;
  sites: SiteRound[];
}

export interface Federation {
  id: string;
  status: JobStatus;
  progress: number;
  error: string | null;
  algorithm: string;
  /** Where the sites train: local (worker pool), namespace, remote, or mixed. */
  placement: string;
  sharedDatasetId: string | null;
  roundsPlanned: number;
  roundsDone: number;
  bytesTotal: number;
  modelId: string | null;
  summary: {
    globalAccuracy?: number | null;
    siteModels?: Record<string, string>;
    /** With differential privacy: the accountant's epsilon at delta. */
    privacy?: { epsilon?: number; delta?: number; accountant?: string } | null;
    classifierCalibration?: {
      method?: string;
      uncalibratedAccuracy?: number | null;
      calibratedAccuracy?: number | null;
    };
    [key: string]: unknown;
  };
  sites: FederationSite[];
  createdAt: string;
  rounds?: FederationRound[];
}
