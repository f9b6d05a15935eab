/**
 * Indexed Jobs for the test API server's scripted controller, with the semantics of the real
 * Job controller (kubernetes.io/docs/concepts/workloads/controllers/job/, "Completion mode" and
 * "Backoff limit per index"; KEP-2214 and KEP-3850):
 * - `completionMode: Indexed` with `completions` N: one pod per index 0..N-1 (at most
 *   `parallelism` at once; our Jobs set parallelism = N, so all start together);
 * - each pod carries the index in the annotation and label
 *   `batch.kubernetes.io/job-completion-index` and in the env var JOB_COMPLETION_INDEX of its
 *   containers (the controller adds it as a fieldRef to the annotation), and its hostname is
 *   `<job name>-<index>`;
 * - status: `active`, `succeeded` and `failed` pod counts, `completedIndexes` and (with
 *   backoffLimitPerIndex) `failedIndexes` in the compressed text format ("1,3-5,7");
 * - with backoffLimitPerIndex 0 a failed pod fails its index, the other indexes go on; once every
 *   index has ended the Job is Complete (all succeeded) or Failed with reason `FailedIndexes`.
 *   Without backoffLimitPerIndex (backoffLimit 0) the first failed pod fails the Job
 *   (`BackoffLimitExceeded`) and the controller deletes the others.
 */
import type { K8sObject } from './fake-apiserver';

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

interface IndexedSpec {
  completionMode?: string;
  completions?: number;
  parallelism?: number;
  backoffLimitPerIndex?: number;
}

/**
 * The API server's validation of the Indexed fields (pkg/apis/batch/validation): Indexed needs
 * `completions`; backoffLimitPerIndex needs Indexed and restartPolicy Never; parallelism of an
 * Indexed Job is at most 10^5.
 */
export function indexedJobProblems(body: {
  spec?: IndexedSpec & { template?: { spec?: { restartPolicy?: string } } };
}): { reason: string; message: string; field: string }[] {
  const spec = body.spec ?? {};
  const out: { reason: string; message: string; field: string }[] = [];
  if (spec.completionMode === 'Indexed' && spec.completions === undefined)
    out.push({
      reason: 'FieldValueRequired',
      message: 'Required value: when completion mode is Indexed',
      field: 'spec.completions',
    });
  if (spec.completionMode === 'Indexed' && (spec.parallelism ?? 1) > 100_000)
    out.push({
      reason: 'FieldValueInvalid',
      message: 'must be less than or equal to 100000 when completion mode is Indexed',
      field: 'spec.parallelism',
    });
  if (spec.backoffLimitPerIndex !== undefined) {
    if (spec.completionMode !== 'Indexed')
      out.push({
        reason: 'FieldValueInvalid',
        message: 'requires indexed completion mode',
        field: 'spec.backoffLimitPerIndex',
      });
    if (spec.template?.spec?.restartPolicy !== 'Never')
      out.push({
        reason: 'FieldValueInvalid',
        message: 'requires restartPolicy Never',
        field: 'spec.backoffLimitPerIndex',
      });
  }
  return out;
}

/** The number of indexes of an Indexed Job; null for a NonIndexed one. */
export function indexCount(job: K8sObject): number | null {
  const spec = (job.spec ?? {}) as IndexedSpec;
  return spec.completionMode === 'Indexed' ? (spec.completions ?? 1) : null;
}

/** "1,3-5,7": increasing, three or more consecutive numbers as first-last. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/** The inverse of formatIndexes (for assertions). */
export function parseIndexes(text: string | undefined): number[] {
  if (!text) return [];
  return text.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, k) => a + k);
  });
}

/** What the Job controller adds to the pod of index `index`. */
export function indexedPod(
  job: K8sObject,
  index: number,
  podSpec: Record<string, unknown> | undefined,
): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
} {
  const containers = ((podSpec?.containers as Record<string, unknown>[] | undefined) ?? []).map(
    (c) => ({
      ...c,
      env: [
        ...((c.env as unknown[] | undefined) ?? []),
        {
          name: 'JOB_COMPLETION_INDEX',
          valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } },
        },
      ],
    }),
  );
  return {
    labels: { [COMPLETION_INDEX]: String(index) },
    annotations: { [COMPLETION_INDEX]: String(index) },
    spec: { ...podSpec, containers, hostname: `${job.metadata.name}-${index}` },
  };
}

/** The status of one Indexed Job, as its pods end. */
export class IndexedJobState {
  private readonly succeeded = new Set<number>();
  private readonly failed = new Set<number>();

  constructor(private readonly job: K8sObject) {}

  get count(): number {
    return indexCount(this.job) ?? 1;
  }

  private get perIndex(): boolean {
    return (this.job.spec as IndexedSpec).backoffLimitPerIndex !== undefined;
  }

  /** Records the end of the pod of `index`; returns the Job status to write. */
  ended(index: number, ok: boolean): { status: Record<string, unknown>; stopOthers: boolean } {
    (ok ? this.succeeded : this.failed).add(index);
    return { status: this.status(), stopOthers: !ok && !this.perIndex };
  }

  status(): Record<string, unknown> {
    const done = this.succeeded.size + this.failed.size;
    const status: Record<string, unknown> = {
      active: this.failed.size > 0 && !this.perIndex ? 0 : this.count - done,
      succeeded: this.succeeded.size,
      failed: this.failed.size,
      completedIndexes: formatIndexes(this.succeeded),
      ...(this.perIndex ? { failedIndexes: formatIndexes(this.failed) } : {}),
    };
    if (this.failed.size > 0 && !this.perIndex)
      return {
        ...status,
        conditions: [
          condition(
            'FailureTarget',
            'BackoffLimitExceeded',
            'Job has reached the specified backoff limit',
          ),
          condition(
            'Failed',
            'BackoffLimitExceeded',
            'Job has reached the specified backoff limit',
          ),
        ],
      };
    if (done < this.count) return status;
    if (this.failed.size === 0)
      return {
        ...status,
        completionTime: new Date().toISOString(),
        conditions: [
          condition('SuccessCriteriaMet', 'CompletionsReached'),
          condition('Complete', 'CompletionsReached'),
        ],
      };
    return {
      ...status,
      conditions: [
        condition('FailureTarget', 'FailedIndexes', 'Job has failed indexes'),
        condition('Failed', 'FailedIndexes', 'Job has failed indexes'),
      ],
    };
  }
}

function condition(type: string, reason: string, message = '') {
  const now = new Date().toISOString();
  return { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now };
}
