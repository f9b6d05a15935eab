/**
 * The Study custom resource: what its spec stands for as the body of POST /v1/studies (a
 * command-runner study), which fields may change after creation, and the status it shows for
 * the study the service runs for it.
 */
import {
  defined,
  roundProgress,
  type CommonStatus,
  type CustomResource,
  type Phase,
} from './resource-common';

export interface StudyResourceSpec {
  space: Record<string, unknown>;
  direction?: string;
  directions?: string[];
  metrics?: string[];
  constraints?: unknown[];
  seed?: number;
  sampler?: { name: string; settings?: Record<string, unknown> };
  pruner?: { name: string; settings?: Record<string, unknown> };
  maxTrials?: number;
  parallelism?: number;
  timeoutSeconds?: number;
  trial: {
    command: string[];
    env?: Record<string, string>;
    timeoutSeconds?: number;
    /** The image each trial runs in (Kubernetes executor: a trial pod with a collector). */
    image?: string;
    /** What each trial's pod requests (the job kinds' `resources` block). */
    resources?: { gpu?: number; gpuType?: string; cpu?: string; memory?: string };
  };
  /** Where the trial Jobs run: a placement namespace and node labels. */
  placement?: { namespace: string; nodeSelector?: Record<string, string> };
}

export interface StudyResourceStatus extends CommonStatus {
  studyId?: string;
  trialsDone?: number;
  trialsRunning?: number;
  trialsComplete?: number;
  trialsPruned?: number;
  trialsFailed?: number;
  bestValue?: number;
  bestParams?: Record<string, unknown>;
}

export type StudyResource = CustomResource<StudyResourceSpec, StudyResourceStatus>;

/**
 * The body of POST /v1/studies a Study stands for: a command-runner study named after the
 * resource. Validation is the service's (the same schema as the REST API); the CRD's schema only
 * turns away what is malformed before it is stored.
 */
export function studyRequest(cr: StudyResource): Record<string, unknown> {
  const s = cr.spec;
  return defined({
    name: cr.metadata.name,
    space: s.space,
    direction: s.direction,
    directions: s.directions,
    metrics: s.metrics,
    constraints: s.constraints,
    seed: s.seed,
    sampler: s.sampler,
    pruner: s.pruner,
    budget: defined({
      nTrials: s.maxTrials,
      timeoutS: s.timeoutSeconds,
      parallelism: s.parallelism,
    }),
    runner: defined({
      type: 'command',
      command: s.trial?.command,
      env: s.trial?.env,
      timeoutS: s.trial?.timeoutSeconds,
      image: s.trial?.image,
      resources: s.trial?.resources,
    }),
    placement: s.placement,
  });
}

/** The fields of a Study that may change after creation (Katib: maxTrialCount, parallelTrialCount). */
export const MUTABLE_STUDY_FIELDS = ['maxTrials', 'parallelism'] as const;

/**
 * The budget change a running study needs so that it matches its resource's spec, or null.
 * Compared with the service's budget rather than the last generation seen, so a change made
 * while the operator was away (or whose write failed) is still applied.
 */
export function budgetChange(
  spec: StudyResourceSpec,
  current: { nTrials: number | null; parallelism: number },
): { nTrials?: number; parallelism?: number } | null {
  const change: { nTrials?: number; parallelism?: number } = {};
  if (spec.maxTrials !== undefined && spec.maxTrials !== current.nTrials)
    change.nTrials = spec.maxTrials;
  const parallelism = spec.parallelism ?? 1;
  if (parallelism !== current.parallelism) change.parallelism = parallelism;
  return Object.keys(change).length > 0 ? change : null;
}

/** The service's view of a study, as the operator reads it (StudiesService.get + its driver job). */
export interface StudyView {
  id: string;
  /** running | stopping | stopped | completed | failed (the study's effective status). */
  status: string;
  jobId: string | null;
  /** The driver job's status, progress and error. */
  job: { status: string; progress: number; error: string | null } | null;
  counts: { running: number; complete: number; pruned: number; failed: number };
  bestValue: number | null;
  bestParams: Record<string, unknown> | null;
  budget: { nTrials: number | null; parallelism: number };
}

export function studyPhase(view: StudyView): Phase {
  switch (view.status) {
    case 'completed':
      return 'Succeeded';
    case 'failed':
      return 'Failed';
    case 'stopped':
      return 'Cancelled';
    default:
      return view.job?.status === 'queued' && view.counts.running === 0 ? 'Pending' : 'Running';
  }
}

/** The status a Study shows for the study the service runs for it. */
export function studyStatus(view: StudyView): StudyResourceStatus {
  const phase = studyPhase(view);
  const c = view.counts;
  const done = c.complete + c.pruned + c.failed;
  const n = view.budget.nTrials;
  const progress =
    phase === 'Succeeded' ? 1 : n !== null ? Math.min(1, done / n) : (view.job?.progress ?? 0);
  const message =
    phase === 'Failed'
      ? (view.job?.error ?? 'the study failed')
      : phase === 'Cancelled'
        ? 'the study was stopped'
        : `${done}${n === null ? '' : `/${n}`} trials finished, ${c.running} running`;
  return {
    phase,
    message,
    studyId: view.id,
    ...(view.jobId ? { jobId: view.jobId } : {}),
    progress: roundProgress(progress),
    trialsDone: done,
    trialsRunning: c.running,
    trialsComplete: c.complete,
    trialsPruned: c.pruned,
    trialsFailed: c.failed,
    // JSON has no NaN or Infinity: a best value that is not finite is not shown.
    ...(view.bestValue !== null && Number.isFinite(view.bestValue)
      ? { bestValue: view.bestValue }
      : {}),
    ...(view.bestParams ? { bestParams: view.bestParams } : {}),
  };
}

/** REST field -> the Study's field where the names differ (studyRequest's mapping, reversed). */
export const STUDY_FIELDS: [string, string][] = [
  ['budget.nTrials', 'maxTrials'],
  ['budget.parallelism', 'parallelism'],
  ['budget.timeoutS', 'timeoutSeconds'],
  ['runner.command', 'trial.command'],
  ['runner.env', 'trial.env'],
  ['runner.timeoutS', 'trial.timeoutSeconds'],
  ['runner.image', 'trial.image'],
  ['runner.resources', 'trial.resources'],
];
