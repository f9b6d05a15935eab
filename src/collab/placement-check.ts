/**
 * Submission check of `sites[].placement`: a site may only be placed in a namespace the
 * operator allowed (AUTODL_K8S_PLACEMENT_NAMESPACES, whose RBAC k8s/components/site-namespaces
 * grants). Anything else is a 422 naming the field, before the job row is written.
 */
import { checkPlacementNamespace } from '../platform/validation/placement';
import type { FederationSpec } from './federation.schema';

export function checkPlacements(spec: FederationSpec, allowed: readonly string[]): void {
  spec.sites.forEach((site, i) => {
    const ns = site.placement?.namespace;
    if (ns !== undefined)
      checkPlacementNamespace(`spec.sites.${i}.placement.namespace`, ns, allowed);
  });
}
