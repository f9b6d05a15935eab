/**
 * The Kubernetes side of a command study's trials: its runner's `image` (each trial pod runs the
 * user's image beside a collecting worker, docs/deploy.md "Trial images") and its `placement`
 * (the trial Jobs' namespace and node labels, as federation sites are placed). Checked when the
 * study is created, before anything is written, and copied into each trial job's spec, where
 * the executor reads them (spec.trialImage, spec.placement).
 */
import type { AppConfig } from '../platform/config/app-config';
import { UnprocessableError } from '../platform/errors/domain-error';
import { checkPlacementNamespace } from '../platform/validation/placement';
import type { StudyConfig, TrialPlacement, TrialResources } from './core/config/study-config';
import { SEARCH_CONFIG_SECTION, SEARCH_DEFAULTS, type SearchConfig } from './search-config';

export function searchConfigOf(app: AppConfig): SearchConfig {
  return app.sections.has(SEARCH_CONFIG_SECTION)
    ? app.sections.get(SEARCH_CONFIG_SECTION)
    : SEARCH_DEFAULTS;
}

/** 422 naming the field when the study's trials cannot run as it asks on this service. */
export function assertTrialPodsAllowed(config: StudyConfig, search: SearchConfig): void {
  const image = config.runner.type === 'command' ? config.runner.image : undefined;
  if (image !== undefined && !search.kubernetes)
    throw refused(
      'runner.image',
      'trial images need the Kubernetes executor (AUTODL_EXECUTOR=kubernetes): this service runs trials as local processes; leave image out to run the command in the AutoDL image',
    );
  if (config.placement === undefined) return;
  if (!search.kubernetes)
    throw refused(
      'placement',
      'placing trials needs the Kubernetes executor (AUTODL_EXECUTOR=kubernetes)',
    );
  checkPlacementNamespace(
    'placement.namespace',
    config.placement.namespace,
    search.placementNamespaces,
  );
}

/** What a trial job's spec carries besides `{studyId, trial}` for the executor. */
export type TrialPodSpec = {
  trialImage?: string;
  placement?: TrialPlacement;
  /** Read by the dispatcher as every job's `spec.resources` (src/deploy/core/job-spec.ts). */
  resources?: TrialResources;
};

export function trialPodSpec(config: StudyConfig): TrialPodSpec {
  const image = config.runner.type === 'command' ? config.runner.image : undefined;
  const resources = config.runner.type === 'command' ? config.runner.resources : undefined;
  return {
    ...(image === undefined ? {} : { trialImage: image }),
    ...(resources === undefined ? {} : { resources }),
    ...(config.placement === undefined ? {} : { placement: config.placement }),
  };
}

function refused(field: string, message: string): UnprocessableError {
  return new UnprocessableError(`${field}: ${message}`, [{ field, message }]);
}
