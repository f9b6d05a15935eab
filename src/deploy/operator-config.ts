/**
 * Configuration of the operator of the Study and FineTune custom resources (operator.ts): on by
 * default wherever the Kubernetes executor runs, off with AUTODL_K8S_OPERATOR=false (e.g. a
 * cluster where the CRDs are not installed). Read once, validated, named defaults.
 */
import { ConfigError } from '../platform/config/app-config';
import { defineConfigSection } from '../platform/config/config-section';

export interface OperatorConfig {
  /** Namespaces whose resources it handles; empty: the executor's namespace only. */
  namespaces: string[];
  /** How often it re-reads the service's state of unfinished work into the resources' status. */
  resyncMs: number;
}

export const OPERATOR_DEFAULTS = { resyncMs: 2000 } as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

type Env = Record<string, string | undefined>;

export function loadOperatorConfig(env: Env): OperatorConfig | null {
  const on = env.AUTODL_K8S_OPERATOR ?? 'true';
  if (!/^(true|false)$/.test(on))
    throw new ConfigError(
      'AUTODL_K8S_OPERATOR',
      `must be true or false, got ${JSON.stringify(on)}`,
    );
  if (on === 'false') return null;
  const namespaces = (env.AUTODL_K8S_OPERATOR_NAMESPACES ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const n of namespaces)
    if (!DNS_LABEL.test(n))
      throw new ConfigError(
        'AUTODL_K8S_OPERATOR_NAMESPACES',
        `must be namespace names separated by commas, got ${JSON.stringify(n)}`,
      );
  const raw = env.AUTODL_K8S_OPERATOR_RESYNC_MS;
  const resyncMs = raw === undefined || raw === '' ? OPERATOR_DEFAULTS.resyncMs : Number(raw);
  if (!Number.isInteger(resyncMs) || resyncMs < 50)
    throw new ConfigError(
      'AUTODL_K8S_OPERATOR_RESYNC_MS',
      `must be an integer >= 50, got ${JSON.stringify(raw)}`,
    );
  return { namespaces: [...new Set(namespaces)], resyncMs };
}

/** Loaded only with AUTODL_EXECUTOR=kubernetes (the operator runs beside that executor). */
export const OPERATOR_CONFIG_SECTION = defineConfigSection<OperatorConfig | null>({
  name: 'kubernetes-operator',
  load(env, platform) {
    return platform.executor === 'kubernetes' ? loadOperatorConfig(env) : null;
  },
});
