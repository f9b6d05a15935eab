/**
 * Mapping of Pod/Job status to observations, on status objects shaped as the kubelet and Job
 * controller write them (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle,
 * .../controllers/job#job-termination-and-cleanup; reasons from pkg/kubelet/images/types.go
 * and pkg/kubelet/eviction).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobView, PodView } from './k8s-types';
import { observe, observationKey } from './observe';

const pod = (status: NonNullable<PodView['status']>): PodView => ({
  metadata: { name: 'p' },
  spec: { nodeName: 'n1' },
  status,
});
const failedJob = (reason: string): JobView => ({
  status: {
    failed: 1,
    conditions: [{ type: 'Failed', status: 'True', reason, message: `${reason} message` }],
  },
});

describe('observe', () => {
  test('nothing to report before the pod exists', () => {
    assert.equal(observe({ status: { active: 1 } }, undefined), undefined);
  });

  test('pending reasons: Unschedulable, image pull errors, config errors, creating', () => {
    const unsched = pod({
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/2 nodes are available',
        },
      ],
    });
    assert.deepEqual(observe(undefined, unsched), {
      state: 'pending',
      reason: 'Unschedulable',
      message: '0/2 nodes are available',
    });
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']) {
      const p = pod({
        phase: 'Pending',
        containerStatuses: [{ state: { waiting: { reason, message: 'x' } } }],
      });
      assert.equal(
        observationKey(observe(undefined, p) ?? { state: 'running', message: '' }),
        'pending:ImagePull',
      );
    }
    const cfg = pod({
      phase: 'Pending',
      containerStatuses: [
        {
          state: {
            waiting: {
              reason: 'CreateContainerConfigError',
              message: 'secret "autodl-secrets" not found',
            },
          },
        },
      ],
    });
    assert.deepEqual(observe(undefined, cfg), {
      state: 'pending',
      reason: 'ContainerConfig',
      message: 'CreateContainerConfigError: secret "autodl-secrets" not found',
    });
    const creating = pod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True' }],
    });
    assert.equal(observe(undefined, creating)?.state, 'pending');
  });

  test('running and succeeded', () => {
    assert.deepEqual(observe(undefined, pod({ phase: 'Running' })), {
      state: 'running',
      message: 'pod p running on n1',
    });
    assert.equal(observe(undefined, pod({ phase: 'Succeeded' }))?.state, 'succeeded');
    assert.equal(
      observe({ status: { conditions: [{ type: 'Complete', status: 'True' }] } }, undefined)?.state,
      'succeeded',
    );
  });

  test('OOMKilled (exit 137) and Evicted are retryable; DeadlineExceeded is not', () => {
    const oom = observe(
      undefined,
      pod({
        phase: 'Failed',
        containerStatuses: [{ state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }],
      }),
    );
    assert.deepEqual(oom && { ...oom, message: undefined }, {
      state: 'failed',
      reason: 'OOMKilled',
      message: undefined,
      retryable: true,
    });
    const evicted = observe(
      undefined,
      pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }),
    );
    assert.deepEqual(evicted, {
      state: 'failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory.',
      retryable: true,
    });
    const deadline = observe(failedJob('DeadlineExceeded'), pod({ phase: 'Running' }));
    assert.deepEqual(deadline, {
      state: 'failed',
      reason: 'DeadlineExceeded',
      message: 'DeadlineExceeded message',
      retryable: false,
    });
    const crash = observe(
      undefined,
      pod({
        phase: 'Failed',
        containerStatuses: [{ state: { terminated: { reason: 'Error', exitCode: 1 } } }],
      }),
    );
    assert.deepEqual(crash, {
      state: 'failed',
      reason: 'Error',
      message: 'container exited with code 1 (Error)',
      retryable: true,
    });
  });

  test('a Failed Job waits for its pod to report the cause, unless the pod is gone', () => {
    assert.equal(observe(failedJob('BackoffLimitExceeded'), pod({ phase: 'Running' })), undefined);
    assert.deepEqual(observe(failedJob('BackoffLimitExceeded'), undefined), {
      state: 'failed',
      reason: 'Error',
      message: 'BackoffLimitExceeded: BackoffLimitExceeded message',
      retryable: true,
    });
  });
});
