/**
 * The search capability's section of the service configuration (registered by the composition
 * root, src/capability-config.ts):
 * - AUTODL_EXECUTOR (the platform's): a study whose trials run in their own image, or are placed
 *   in another namespace, needs the Kubernetes executor;
 * - AUTODL_K8S_PLACEMENT_NAMESPACES: the namespaces a study's `placement` may name, the same list
 *   as federation sites' (src/platform/validation/placement.ts);
 * - AUTODL_TRIAL_POD_DIR: set by the Kubernetes executor on the worker container of a trial pod with
 *   a user image (src/deploy/core/trial-pod.ts): the shared directory the worker collects from.
 */
import * as path from 'node:path';
import { ConfigError } from '../platform/config/app-config';
import { defineConfigSection } from '../platform/config/config-section';
import { TRIAL_DIR_ENV } from '../platform/core/trial-container';
import { placementNamespaces } from '../platform/validation/placement';

export interface SearchConfig {
  kubernetes: boolean;
  placementNamespaces: readonly string[];
  trialDir: string | null;
}

export const SEARCH_DEFAULTS: SearchConfig = {
  kubernetes: false,
  placementNamespaces: [],
  trialDir: null,
};

export const SEARCH_CONFIG_SECTION = defineConfigSection<SearchConfig>({
  name: 'search',
  load(env, platform) {
    const dir = env[TRIAL_DIR_ENV];
    if (dir !== undefined && dir !== '' && !path.isAbsolute(dir))
      throw new ConfigError(TRIAL_DIR_ENV, `must be an absolute path, got ${dir}`);
    return {
      kubernetes: platform.executor === 'kubernetes',
      placementNamespaces: placementNamespaces(env),
      trialDir: dir ? dir : null,
    };
  },
});
