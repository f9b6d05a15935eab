/**
 * The FineTune custom resource: its spec as the body of POST /v1/finetune (the same fields, by
 * design) and the status it shows for the service's fine-tune job.
 */
import {
  defined,
  roundProgress,
  type CommonStatus,
  type CustomResource,
  type Phase,
} from './resource-common';

export interface FineTuneResourceSpec {
  baseModel: string;
  dataset: string;
  name?: string;
  method?: string;
  epochs?: number;
  hyperParameters?: Record<string, unknown>;
  augment?: unknown[];
  augmentCopies?: number;
  recordDynamics?: boolean;
  resources?: Record<string, unknown>;
}

export interface FineTuneResourceStatus extends CommonStatus {
  modelId?: string;
}

export type FineTuneResource = CustomResource<FineTuneResourceSpec, FineTuneResourceStatus>;

/** The body of POST /v1/finetune a FineTune stands for (the same fields, by design). */
export function finetuneRequest(cr: FineTuneResource): Record<string, unknown> {
  const s = cr.spec;
  return defined({
    baseModel: s.baseModel,
    dataset: s.dataset,
    name: s.name,
    method: s.method,
    epochs: s.epochs,
    hyperParameters: s.hyperParameters,
    augment: s.augment,
    augmentCopies: s.augmentCopies,
    recordDynamics: s.recordDynamics,
    resources: s.resources,
  });
}

/** The service's view of a job (JobsService.get). */
export interface JobView {
  id: string;
  status: string;
  progress: number;
  progressMessage: string | null;
  error: string | null;
  result: unknown;
}

const JOB_PHASES: Record<string, Phase> = {
  queued: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function finetuneStatus(job: JobView): FineTuneResourceStatus {
  const phase = JOB_PHASES[job.status] ?? 'Pending';
  const modelId = (job.result as { modelId?: unknown } | null)?.modelId;
  return {
    phase,
    jobId: job.id,
    progress: roundProgress(phase === 'Succeeded' ? 1 : job.progress),
    message:
      phase === 'Failed'
        ? (job.error ?? 'the job failed')
        : phase === 'Cancelled'
          ? 'the job was cancelled'
          : phase === 'Succeeded'
            ? typeof modelId === 'string'
              ? `registered model ${modelId}`
              : 'succeeded'
            : (job.progressMessage ?? (phase === 'Pending' ? 'queued' : 'running')),
    ...(typeof modelId === 'string' ? { modelId } : {}),
  };
}
