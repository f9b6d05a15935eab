// Wire shapes of GET /v1/explanations/:id results (src/interpret/explain.handler.ts ExplainResult,
// src/interpret/normlime.handler.ts NormLimeJobResult); only what the pages read.
import type { JobStatus } from '../../api/types';
import type { Importance } from '../../charts/options/normlime-bars';

export interface LocalExplanation {
  instance: number;
  label: number;
  className: string;
  features: { index: number; name: string; weight: number }[];
  weights: number[];
  fidelity: number;
  faithfulness: { aopc: number; randomAopc: number };
  artifact: string;
  tokens?: string[];
  featureOfToken?: number[];
  /** Image explanations: the image PNG and the superpixel map (run-length encoded). */
  input?: string;
  width?: number;
  height?: number;
  segments?: number[];
}

export interface LimeResult {
  model: string;
  inputKind: 'image' | 'tabular' | 'text';
  classNames: string[];
  explanations: LocalExplanation[];
  summary: { meanFidelity: number; meanAopc: number; meanRandomAopc: number };
}

export interface ConceptExample {
  feature: string;
  image: number;
  segment: number;
  input: string;
  width: number;
  height: number;
  segments: number[];
}

export interface NormLimeResult {
  model: string;
  inputKind: 'image' | 'tabular' | 'text';
  instances: number;
  features: string[];
  classes: { classIndex: number; className: string; count: number; ranking: Importance[] }[];
  overall: Importance[];
  summary: { meanFidelity: number; meanAopc: number; meanRandomAopc: number };
  concepts?: ConceptExample[];
}

export interface Explanation {
  id: string;
  method: 'lime' | 'normlime';
  model: string;
  status: JobStatus;
  progress: number;
  progressMessage: string | null;
  error: string | null;
  result: LimeResult | NormLimeResult | null;
  artifacts: { name: string; url?: string }[];
  createdAt: string;
}
