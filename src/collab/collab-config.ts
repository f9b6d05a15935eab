/**
 * The collaborative-learning section of the service configuration (registered by the
 * composition root, src/capability-config.ts):
 * - AUTODL_K8S_PLACEMENT_NAMESPACES: the Kubernetes namespaces a federation site may be placed
 *   in (`sites[].placement.namespace`), comma-separated; empty: none. The executor reads the same
 *   variable to watch those namespaces, and the RBAC of k8s/components/site-namespaces grants it
 *   exactly these (docs/deploy.md).
 * - JOB_COMPLETION_INDEX: set by Kubernetes in each pod of an Indexed Job; a `federation-site`
 *   job of several sites trains the site at that index.
 */
import { ConfigError, type AppConfig } from '../platform/config/app-config';
import { defineConfigSection } from '../platform/config/config-section';
import { placementNamespaces as readPlacementNamespaces } from '../platform/validation/placement';

export interface CollabConfig {
  placementNamespaces: readonly string[];
  completionIndex: number | null;
}

export const COLLAB_DEFAULTS: CollabConfig = { placementNamespaces: [], completionIndex: null };

export const COLLAB_CONFIG_SECTION = defineConfigSection<CollabConfig>({
  name: 'collab',
  load(env) {
    const placementNamespaces = readPlacementNamespaces(env);
    const index = env.JOB_COMPLETION_INDEX;
    let completionIndex: number | null = null;
    if (index !== undefined && index !== '') {
      completionIndex = Number(index);
      if (!Number.isInteger(completionIndex) || completionIndex < 0)
        throw new ConfigError(
          'JOB_COMPLETION_INDEX',
          `must be a non-negative integer, got ${index}`,
        );
    }
    return { placementNamespaces, completionIndex };
  },
});

/** The section's values, or its defaults where the composition root did not register it (tests). */
export function collabConfigOf(app: AppConfig): CollabConfig {
  return app.sections.has(COLLAB_CONFIG_SECTION)
    ? app.sections.get(COLLAB_CONFIG_SECTION)
    : COLLAB_DEFAULTS;
}
