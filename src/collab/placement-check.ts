/**
 * Submission check of `sites[].placement`: a site may only be placed in a namespace the
 * operator allowed (AUTODL_K8S_PLACEMENT_NAMESPACES, whose RBAC k8s/components/site-namespaces
 * grants). Anything else is a 422 naming the field, before the job row is written.
 */
import { UnprocessableError } from '../platform/errors/domain-error';
import type { FederationSpec } from './federation.schema';

export function checkPlacements(spec: FederationSpec, allowed: readonly string[]): void {
  spec.sites.forEach((site, i) => {
    const ns = site.placement?.namespace;
    if (ns === undefined || allowed.includes(ns)) return;
    const field = `spec.sites.${i}.placement.namespace`;
    const message = allowed.length
      ? `namespace ${ns} is not a placement namespace of this service (allowed: ${allowed.join(', ')})`
      : `namespace ${ns}: this service allows no placement namespaces (AUTODL_K8S_PLACEMENT_NAMESPACES is empty)`;
    throw new UnprocessableError(`${field}: ${message}`, [{ field, message }]);
  });
}
