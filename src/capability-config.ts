/**
 * The configuration sections of the capabilities (composition root): each capability that has
 * variables of its own defines a ConfigSection beside its code and is listed here. Entry points
 * (the API, the workers, the CLI) load the service's configuration with loadServiceConfig, once.
 * Kept apart from src/capabilities.ts so that reading the configuration never loads modules.
 */
import {
  loadConfig,
  THIS_HOST,
  type AppConfig,
  type HostFacts,
} from './platform/config/app-config';
import type { AnyConfigSection, Env } from './platform/config/config-section';
import { COLLAB_CONFIG_SECTION } from './collab/collab-config';
import { KUBERNETES_CONFIG_SECTION } from './deploy/kubernetes-config';
import { OPERATOR_CONFIG_SECTION } from './deploy/operator-config';
import { SEARCH_CONFIG_SECTION } from './search/search-config';

export const CAPABILITY_CONFIG_SECTIONS: readonly AnyConfigSection[] = [
  KUBERNETES_CONFIG_SECTION,
  COLLAB_CONFIG_SECTION,
  OPERATOR_CONFIG_SECTION,
  SEARCH_CONFIG_SECTION,
];

/** The platform's settings and every capability's section, validated (ConfigError names a variable). */
export function loadServiceConfig(env: Env = process.env, host: HostFacts = THIS_HOST): AppConfig {
  return loadConfig(env, host, CAPABILITY_CONFIG_SECTIONS);
}
