/**
 * The pod of a trial that runs in the user's own image (a study's `runner.image`; Katib's trial
 * pod with its metrics collector sidecar): the job's worker container becomes the collector and
 * a `trial` container runs the user's image. They share an emptyDir; the file protocol and the
 * user container's wrapper are src/platform/core/trial-container.ts. The user container gets the
 * job's resources (GPUs included); the collector only reads a file and writes the database, so it
 * gets COLLECTOR_RESOURCES. Katib injects its sidecar with a mutating webhook; we build the pod
 * whole, so no webhook (nor its certificates) is needed.
 */
import { TRIAL_DIR, TRIAL_DIR_ENV, TRIAL_WRAPPER } from '../../platform/core/trial-container';
import type { Container, PodSpec, ResourceRequirements } from './k8s-types';

export const TRIAL_CONTAINER = 'trial';
export const TRIAL_VOLUME = 'autodl-trial';

/** The collector: a Node worker that tails a file (the size of an idle worker process). */
export const COLLECTOR_RESOURCES: ResourceRequirements = {
  requests: { cpu: '100m', memory: '512Mi' },
  limits: { memory: '512Mi' },
};

/**
 * `podSpec` (one worker container, built for the job's resources) turned into the two-container
 * trial pod: the worker keeps its command and environment and learns the shared directory; the
 * user's image gets the wrapper, the job's resources and no credentials (no ConfigMap, Secret or
 * service account token: the user's code talks to nobody but its files).
 */
export function withTrialContainer(podSpec: PodSpec, image: string, gpu: boolean): PodSpec {
  const [worker, ...rest] = podSpec.containers;
  if (!worker || rest.length > 0) throw new Error('a trial pod starts from one worker container');
  const mount = { name: TRIAL_VOLUME, mountPath: TRIAL_DIR };
  const collector: Container = {
    ...worker,
    env: [
      ...(worker.env ?? []).filter((e) => e.name !== 'NVIDIA_VISIBLE_DEVICES'),
      { name: TRIAL_DIR_ENV, value: TRIAL_DIR },
      // The GPUs are the trial's: the collector (a CUDA image sets "all") must not see them.
      { name: 'NVIDIA_VISIBLE_DEVICES', value: 'void' },
    ],
    resources: COLLECTOR_RESOURCES,
    volumeMounts: [...(worker.volumeMounts ?? []), mount],
  };
  const trial: Container = {
    name: TRIAL_CONTAINER,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', TRIAL_WRAPPER],
    env: [
      { name: TRIAL_DIR_ENV, value: TRIAL_DIR },
      // As for the worker of a CPU job: a CPU trial scheduled on a GPU node cannot grab its GPUs.
      ...(gpu ? [] : [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'void' }]),
    ],
    ...(worker.resources ? { resources: worker.resources } : {}),
    volumeMounts: [mount],
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    },
  };
  return {
    ...podSpec,
    containers: [collector, trial],
    volumes: [...(podSpec.volumes ?? []), { name: TRIAL_VOLUME, emptyDir: {} }],
  };
}
