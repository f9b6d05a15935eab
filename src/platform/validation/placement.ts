/**
 * A job's Kubernetes placement, `{namespace, nodeSelector}`, as every kind that places its pods
 * states it (a federation's `sites[].placement`, a study's `placement` for its trials), and the
 * one rule on it: the namespace must be one the operator allowed (AUTODL_K8S_PLACEMENT_NAMESPACES,
 * whose RBAC k8s/overlays/sites grants). The executor turns it into the Job's namespace and
 * nodeSelector (src/deploy/core/job-spec.ts) and watches, cancels and cleans up there.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError } from '../config/app-config';
import type { Env } from '../config/config-section';
import { UnprocessableError } from '../errors/domain-error';

// RFC 1123 label: what a namespace name must be.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function placementSchema(what: string) {
  return Type.Object(
    {
      namespace: Type.String({
        pattern: NAMESPACE.source,
        description: `Kubernetes namespace ${what} in; must be one of AUTODL_K8S_PLACEMENT_NAMESPACES`,
      }),
      nodeSelector: Type.Optional(
        Type.Record(
          Type.String({
            pattern: '^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
          }),
          Type.String({ pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$' }),
          { maxProperties: 16, description: 'Node labels the pods must match (default none)' },
        ),
      ),
    },
    { additionalProperties: false },
  );
}

export type PlacementSpec = Static<ReturnType<typeof placementSchema>>;

/** AUTODL_K8S_PLACEMENT_NAMESPACES: comma-separated namespace names; empty or unset: none. */
export function placementNamespaces(env: Env): string[] {
  const names = (env.AUTODL_K8S_PLACEMENT_NAMESPACES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const ns of names)
    if (!NAMESPACE.test(ns))
      throw new ConfigError(
        'AUTODL_K8S_PLACEMENT_NAMESPACES',
        `${JSON.stringify(ns)} is not a namespace name (RFC 1123 label)`,
      );
  return [...new Set(names)];
}

/** A 422 naming `field` unless `namespace` is allowed; nothing is written before it. */
export function checkPlacementNamespace(
  field: string,
  namespace: string,
  allowed: readonly string[],
): void {
  if (allowed.includes(namespace)) return;
  const message = allowed.length
    ? `namespace ${namespace} is not a placement namespace of this service (allowed: ${allowed.join(', ')})`
    : `namespace ${namespace}: this service allows no placement namespaces (AUTODL_K8S_PLACEMENT_NAMESPACES is empty)`;
  throw new UnprocessableError(`${field}: ${message}`, [{ field, message }]);
}
