/**
 * The `resources` block of the job kinds that train (pretrain, finetune, nas, prune): what one
 * attempt needs when it runs as a Kubernetes Job. The Kubernetes executor maps it onto the
 * container's requests and limits and, for `gpuType`, a node selector on the GPU model label
 * (src/deploy/core/job-spec.ts); the job's own request wins over AUTODL_K8S_KIND_RESOURCES and
 * the defaults, and per-job/per-project GPU limits are checked at submission. The local executor
 * runs every job on this host and ignores it.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A Kubernetes resource quantity (k8s.io/apimachinery resource.Quantity, decimal form). */
export const QUANTITY_PATTERN =
  '^[+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$';

/** A label value: at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends. */
const LABEL_VALUE_PATTERN = '^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$';

export const JobResourcesSchema = Type.Object(
  {
    gpu: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 64, description: 'Whole GPUs (nvidia.com/gpu)' }),
    ),
    gpuType: Type.Optional(
      Type.String({
        pattern: LABEL_VALUE_PATTERN,
        example: 'NVIDIA-A100-SXM4-40GB',
        description:
          'GPU model: the value of the node label AUTODL_K8S_GPU_TYPE_LABEL (default nvidia.com/gpu.product, set by GPU feature discovery), e.g. NVIDIA-A100-SXM4-40GB',
      }),
    ),
    cpu: Type.Optional(
      Type.String({
        pattern: QUANTITY_PATTERN,
        description: 'CPU request (a Kubernetes quantity)',
        example: '500m',
      }),
    ),
    memory: Type.Optional(
      Type.String({
        pattern: QUANTITY_PATTERN,
        description: 'Memory request and limit (a Kubernetes quantity)',
        example: '8Gi',
      }),
    ),
  },
  {
    additionalProperties: false,
    // A GPU model only means something for a job that asks for GPUs.
    if: { required: ['gpuType'] },
    then: { required: ['gpu'], properties: { gpu: { minimum: 1 } } },
    description:
      'What one attempt needs as a Kubernetes Job (docs/deploy.md); ignored by the local executor. A gpuType needs gpu >= 1.',
    example: { gpu: 1, memory: '8Gi' },
  },
);
export type JobResources = Static<typeof JobResourcesSchema>;

/** Spread into a job kind's schema properties. */
export const resourcesProperty = { resources: Type.Optional(JobResourcesSchema) };
