/** Response shapes of the studies routes the console reads (src/search/study-console.*, study-plots.service.ts). */
export type Direction = 'minimize' | 'maximize';

export interface StudyListItem {
  id: string;
  name: string;
  status: string;
  directions: Direction[];
  jobId: string | null;
  trials: number;
  createdAt: string;
}

export interface Distribution {
  type: 'float' | 'int' | 'categorical';
  low?: number;
  high?: number;
  log?: boolean;
  choices?: unknown[];
}

export interface StudySummary {
  id: string;
  name: string;
  status: string;
  directions: Direction[];
  metrics: string[];
  runner: string;
  counts: { running: number; complete: number; pruned: number; failed: number };
  best: ({ number: number; values: number[] } | null)[];
  params: Record<string, Distribution>;
  createdAt: string;
}

export interface TrialRow {
  number: number;
  state: string;
  params: Record<string, unknown>;
  values: number[] | null;
  /** The sampler `auto` chose for the trial (gp, tpe, cmaes, nsga2, nsga3); null otherwise. */
  sampler: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface Note {
  id: string;
  trial: number | null;
  body: string;
  author: string;
  createdAt: string;
}
