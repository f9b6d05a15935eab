/**
 * The pure half of the operator of the Study and FineTune custom resources (autodl.io/v1alpha1,
 * k8s/base/crds/): what a resource's spec stands for as the REST request the service already
 * takes (POST /v1/studies with a command runner, POST /v1/finetune), what the service's state
 * of that work means as the resource's `status`, and what to do next with a resource (add the
 * finalizer, create, follow, cancel and release). Katib's experiment controller splits the same
 * way: adapters convert wire types, the rules live apart from the client.
 */

export const GROUP = 'autodl.io';
export const VERSION = 'v1alpha1';
/** Added on first sight, removed once the work is cancelled: `kubectl delete` cancels it. */
export const FINALIZER = 'autodl.io/cancel';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
const FINAL: readonly Phase[] = ['Succeeded', 'Failed', 'Cancelled'];

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ResourceMeta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
}

/** Status fields both kinds share (the CRDs' `status` schemas). */
export interface CommonStatus {
  phase?: Phase;
  message?: string;
  jobId?: string;
  observedGeneration?: number;
  progress?: number;
  /** Hash of the spec the work was created from, minus the fields that may change later. */
  specHash?: string;
  conditions?: Condition[];
}

export interface CustomResource<Spec, Status extends CommonStatus = CommonStatus> {
  apiVersion?: string;
  kind?: string;
  metadata: ResourceMeta;
  spec: Spec;
  status?: Status;
}

// ---- Study ---------------------------------------------------------------------------------

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

/** Object keys with undefined values dropped (what JSON would carry). */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

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
    progress: round(progress),
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

// ---- FineTune ------------------------------------------------------------------------------

export interface FineTuneResourceSpec {
  baseModel: string;
  dataset: string;
  name?: string;
  method?: string;
  epochs?: number;
  hyperParameters?: Record<string, unknown>;
  augment?: unknown[];
  augmentCopies?: number;
  recordDynamics?: boolean;
  resources?: Record<string, unknown>;
}

export interface FineTuneResourceStatus extends CommonStatus {
  modelId?: string;
}

export type FineTuneResource = CustomResource<FineTuneResourceSpec, FineTuneResourceStatus>;

/** The body of POST /v1/finetune a FineTune stands for (the same fields, by design). */
export function finetuneRequest(cr: FineTuneResource): Record<string, unknown> {
  const s = cr.spec;
  return defined({
    baseModel: s.baseModel,
    dataset: s.dataset,
    name: s.name,
    method: s.method,
    epochs: s.epochs,
    hyperParameters: s.hyperParameters,
    augment: s.augment,
    augmentCopies: s.augmentCopies,
    recordDynamics: s.recordDynamics,
    resources: s.resources,
  });
}

/** The service's view of a job (JobsService.get). */
export interface JobView {
  id: string;
  status: string;
  progress: number;
  progressMessage: string | null;
  error: string | null;
  result: unknown;
}

const JOB_PHASES: Record<string, Phase> = {
  queued: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function finetuneStatus(job: JobView): FineTuneResourceStatus {
  const phase = JOB_PHASES[job.status] ?? 'Pending';
  const modelId = (job.result as { modelId?: unknown } | null)?.modelId;
  return {
    phase,
    jobId: job.id,
    progress: round(phase === 'Succeeded' ? 1 : job.progress),
    message:
      phase === 'Failed'
        ? (job.error ?? 'the job failed')
        : phase === 'Cancelled'
          ? 'the job was cancelled'
          : phase === 'Succeeded'
            ? typeof modelId === 'string'
              ? `registered model ${modelId}`
              : 'succeeded'
            : (job.progressMessage ?? (phase === 'Pending' ? 'queued' : 'running')),
    ...(typeof modelId === 'string' ? { modelId } : {}),
  };
}

// ---- What to do with a resource -------------------------------------------------------------

export type Action =
  /** Deleted and still holding the finalizer: cancel the work, then drop the finalizer. */
  | { type: 'finalize' }
  /** Deleted, finalizer gone (released, or never added): nothing to do. */
  | { type: 'none' }
  /** First sight: add the finalizer before anything is created. */
  | { type: 'add-finalizer' }
  /** No work recorded for it yet: create it (idempotently, keyed by the resource's uid). */
  | { type: 'create' }
  /** The work exists: follow it into the status (and apply allowed spec changes). */
  | { type: 'follow'; id: string }
  /** Refused by the service or finished: nothing more unless the spec changes. */
  | { type: 'done' };

/** The id of the work recorded in the status (studyId for a Study, jobId for a FineTune). */
export function workId(
  kind: 'Study' | 'FineTune',
  status: CommonStatus | undefined,
): string | null {
  const s = status as (StudyResourceStatus & FineTuneResourceStatus) | undefined;
  return (kind === 'Study' ? s?.studyId : s?.jobId) ?? null;
}

export function nextAction(
  kind: 'Study' | 'FineTune',
  cr: CustomResource<unknown, CommonStatus>,
): Action {
  const finalizers = cr.metadata.finalizers ?? [];
  if (cr.metadata.deletionTimestamp)
    return finalizers.includes(FINALIZER) ? { type: 'finalize' } : { type: 'none' };
  if (!finalizers.includes(FINALIZER)) return { type: 'add-finalizer' };
  const id = workId(kind, cr.status);
  if (id) {
    // A finished Study still follows: its counts are final, but a maxTrials edit is reported.
    const settled =
      FINAL.includes(cr.status?.phase as Phase) &&
      cr.status?.observedGeneration === cr.metadata.generation;
    return settled ? { type: 'done' } : { type: 'follow', id };
  }
  // Refused by the service for this generation: wait for an edit of the spec.
  if (cr.status?.phase === 'Failed' && cr.status.observedGeneration === cr.metadata.generation)
    return { type: 'done' };
  return { type: 'create' };
}

export function isFinal(phase: Phase | undefined): boolean {
  return phase !== undefined && FINAL.includes(phase);
}

/**
 * The idempotency key of a resource's work: its uid, stable across operator restarts and leader
 * changes, so a create whose status write was lost finds the same study or job again.
 */
export function idempotencyKey(cr: { metadata: ResourceMeta }): string {
  return `k8s-${cr.metadata.uid}`;
}

/**
 * The project of a resource: the project named like its namespace (Kubeflow's rule: a profile's
 * namespace is its tenant). Namespace names (DNS labels) are valid project names.
 */
export function projectOf(namespace: string): string {
  return namespace;
}

// ---- Spec changes after creation -----------------------------------------------------------

/** FNV-1a (32 bit) of a canonical JSON text: a short, stable fingerprint, not a secret. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** The fingerprint of the part of a spec that cannot change once the work exists. */
export function specHash(kind: 'Study' | 'FineTune', spec: unknown): string {
  const fixed = { ...(spec as Record<string, unknown>) };
  if (kind === 'Study') for (const f of MUTABLE_STUDY_FIELDS) delete fixed[f];
  return fnv1a(canonical(fixed));
}

// ---- Conditions ----------------------------------------------------------------------------

/**
 * Sets one condition (metav1.Condition): lastTransitionTime moves only when the status flips,
 * as Kubernetes' meta.SetStatusCondition does.
 */
export function setCondition(
  conditions: Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const previous = i >= 0 ? list[i] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime:
      previous && previous.status === next.status ? previous.lastTransitionTime : now,
  };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

export function removeCondition(conditions: Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Whether writing `next` over `current` changes anything (skips no-op status writes). */
export function statusDiffers(current: CommonStatus | undefined, next: CommonStatus): boolean {
  return canonical(current ?? {}) !== canonical(next);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---- The service's refusals, in the resource's terms ---------------------------------------

/** REST field -> the Study's field where the names differ (studyRequest's mapping, reversed). */
const STUDY_FIELDS: [string, string][] = [
  ['budget.nTrials', 'maxTrials'],
  ['budget.parallelism', 'parallelism'],
  ['budget.timeoutS', 'timeoutSeconds'],
  ['runner.command', 'trial.command'],
  ['runner.env', 'trial.env'],
  ['runner.timeoutS', 'trial.timeoutSeconds'],
  ['runner.image', 'trial.image'],
];

/** The resource's field a problem of the REST request names (`spec.` + its path). */
export function resourceField(kind: 'Study' | 'FineTune', field: string): string {
  if (kind === 'Study')
    for (const [rest, own] of STUDY_FIELDS)
      if (field === rest || field.startsWith(`${rest}.`) || field.startsWith(`${rest}[`))
        return `spec.${own}${field.slice(rest.length)}`;
  return field ? `spec.${field}` : 'spec';
}

/** A refusal of the service as the message a status shows: each problem names its spec field. */
export function refusalMessage(
  kind: 'Study' | 'FineTune',
  message: string,
  problems: { field: string; message: string }[] = [],
): string {
  if (problems.length === 0) return message;
  return problems.map((p) => `${resourceField(kind, p.field)}: ${p.message}`).join('; ');
}
