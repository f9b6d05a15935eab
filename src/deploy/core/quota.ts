/**
 * Admission of queued jobs under the executor's quotas: a global cap on concurrent Jobs and,
 * per project, caps on concurrent Jobs and requested GPUs (in the spirit of a Kubernetes
 * ResourceQuota on `requests.nvidia.com/gpu`, but per project inside one namespace).
 * First come, first served within a project: once a project's oldest job does not fit, its
 * later jobs wait too, so a large GPU job is not starved by a stream of small ones. Other
 * projects are not blocked by it.
 */
export interface Quota {
  maxConcurrentJobs: number;
  maxJobsPerProject: number;
  maxGpusPerProject: number;
}

export interface QuotaUsage {
  projectId: string;
  gpu: number;
}

export function validateQuota(q: Quota): Quota {
  for (const key of ['maxConcurrentJobs', 'maxJobsPerProject', 'maxGpusPerProject'] as const) {
    if (!Number.isInteger(q[key]) || q[key] < 0) {
      throw new Error(`${key} must be a non-negative integer, got ${q[key]}`);
    }
  }
  return q;
}

/**
 * Picks, in order, the candidates that fit next to the `active` ones. Candidates are in queue
 * order (oldest first). Returns the admitted candidates, in the same order.
 */
export function admit<T extends QuotaUsage>(
  candidates: T[],
  active: QuotaUsage[],
  quota: Quota,
): T[] {
  let total = active.length;
  const jobs = new Map<string, number>();
  const gpus = new Map<string, number>();
  for (const a of active) {
    jobs.set(a.projectId, (jobs.get(a.projectId) ?? 0) + 1);
    gpus.set(a.projectId, (gpus.get(a.projectId) ?? 0) + a.gpu);
  }
  const blocked = new Set<string>();
  const admitted: T[] = [];
  for (const c of candidates) {
    if (total >= quota.maxConcurrentJobs) break;
    if (blocked.has(c.projectId)) continue;
    const j = jobs.get(c.projectId) ?? 0;
    const g = gpus.get(c.projectId) ?? 0;
    if (j + 1 > quota.maxJobsPerProject || g + c.gpu > quota.maxGpusPerProject) {
      blocked.add(c.projectId);
      continue;
    }
    jobs.set(c.projectId, j + 1);
    gpus.set(c.projectId, g + c.gpu);
    total += 1;
    admitted.push(c);
  }
  return admitted;
}
