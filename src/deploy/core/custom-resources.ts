/**
 * The pure half of the operator of the Study and FineTune custom resources (autodl.io/v1alpha1,
 * k8s/base/crds/): what a resource's spec stands for as the REST request the service already
 * takes (POST /v1/studies with a command runner, POST /v1/finetune), what the service's state
 * of that work means as the resource's `status`, and what to do next with a resource (add the
 * finalizer, create, follow, cancel and release). Katib's experiment controller splits the same
 * way: adapters convert wire types, the rules live apart from the client.
 */

import {
  canonical,
  fnv1a,
  FINAL_PHASES,
  FINALIZER,
  type CommonStatus,
  type Condition,
  type CustomResource,
  type Phase,
  type ResourceMeta,
} from './resource-common';
import { MUTABLE_STUDY_FIELDS, STUDY_FIELDS, type StudyResourceStatus } from './study-resource';
import type { FineTuneResourceStatus } from './finetune-resource';

export * from './resource-common';
export * from './study-resource';
export * from './finetune-resource';

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
      FINAL_PHASES.includes(cr.status?.phase as Phase) &&
      cr.status?.observedGeneration === cr.metadata.generation;
    return settled ? { type: 'done' } : { type: 'follow', id };
  }
  // Refused by the service for this generation: wait for an edit of the spec.
  if (cr.status?.phase === 'Failed' && cr.status.observedGeneration === cr.metadata.generation)
    return { type: 'done' };
  return { type: 'create' };
}

export function isFinal(phase: Phase | undefined): boolean {
  return phase !== undefined && FINAL_PHASES.includes(phase);
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

// ---- The service's refusals, in the resource's terms ---------------------------------------

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
