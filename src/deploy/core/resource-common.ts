/**
 * What the Study and FineTune custom resources (autodl.io/v1alpha1) share: the group, the
 * finalizer, the phases, metadata and status shapes, and the small pure helpers their mappings
 * use (custom-resources.ts is the operator's rules; study-resource.ts and finetune-resource.ts
 * the two kinds' mappings).
 */

export const GROUP = 'autodl.io';
export const VERSION = 'v1alpha1';
/** Added on first sight, removed once the work is cancelled: `kubectl delete` cancels it. */
export const FINALIZER = 'autodl.io/cancel';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
export const FINAL_PHASES: readonly Phase[] = ['Succeeded', 'Failed', 'Cancelled'];

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

/** Object keys with undefined values dropped (what JSON would carry). */
export function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** A progress fraction to three decimals (no status churn from float noise). */
export function roundProgress(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** FNV-1a (32 bit) of a canonical JSON text: a short, stable fingerprint, not a secret. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
