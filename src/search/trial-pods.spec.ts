/**
 * The submission rules of a command study's trial pods: a runner image or a placement needs the
 * Kubernetes executor (a clear 422 naming the field, before anything is written: the service
 * calls this before its transaction), and a placement names an allowed namespace (the same rule
 * and message as a federation site's); what the trial jobs' specs then carry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_REFERENCE_PATTERN } from '../platform/validation/image-reference';
import { UnprocessableError } from '../platform/errors/domain-error';
import { parseStudyRequest } from './study.schema';
import { assertTrialPodsAllowed, trialPodSpec } from './trial-pods';

const body = (extra: Record<string, unknown> = {}, image?: string) => ({
  name: 's',
  space: { x: { type: 'float', low: 0, high: 1 } },
  runner: { type: 'command', command: ['train'], ...(image ? { image } : {}) },
  ...extra,
});
const k8s = { kubernetes: true, placementNamespaces: ['trials-a'], trialDir: null };
const local = { ...k8s, kubernetes: false };

function refusal(fn: () => void): { field: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UnprocessableError, String(e));
    return e.problems[0];
  }
  throw new Error('expected a 422');
}

describe('trial pods: image and placement of a command study', () => {
  test('an image on the local executor is a 422 naming runner.image', () => {
    const { config } = parseStudyRequest(body({}, 'python:3.12-slim'));
    const p = refusal(() => assertTrialPodsAllowed(config, local));
    assert.equal(p.field, 'runner.image');
    assert.match(p.message, /trial images need the Kubernetes executor/);
    assert.doesNotThrow(() => assertTrialPodsAllowed(config, k8s));
  });

  test('a placement: local executor refused; outside the allow-list refused; inside accepted', () => {
    const { config } = parseStudyRequest(
      body({ placement: { namespace: 'trials-a', nodeSelector: { pool: 'a' } } }),
    );
    assert.equal(refusal(() => assertTrialPodsAllowed(config, local)).field, 'placement');
    assert.doesNotThrow(() => assertTrialPodsAllowed(config, k8s));
    const other = parseStudyRequest(body({ placement: { namespace: 'kube-system' } })).config;
    const p = refusal(() => assertTrialPodsAllowed(other, k8s));
    assert.equal(p.field, 'placement.namespace');
    assert.match(
      p.message,
      /kube-system is not a placement namespace of this service \(allowed: trials-a\)/,
    );
  });

  test('the schema refuses a malformed image and a placement on an external study', () => {
    assert.throws(() => parseStudyRequest(body({}, 'Python:3')), /runner\.image/);
    assert.throws(
      () =>
        parseStudyRequest({
          name: 's',
          space: { x: { type: 'float', low: 0, high: 1 } },
          placement: { namespace: 'trials-a' },
        }),
      /placement: places trial jobs/,
    );
  });

  test('each trial job carries the image and the placement for the executor', () => {
    const { config } = parseStudyRequest(
      body({ placement: { namespace: 'trials-a' } }, 'ghcr.io/me/train:v1'),
    );
    assert.deepEqual(trialPodSpec(config), {
      trialImage: 'ghcr.io/me/train:v1',
      placement: { namespace: 'trials-a', nodeSelector: {} },
    });
    assert.deepEqual(trialPodSpec(parseStudyRequest(body()).config), {});
  });

  test("runner.resources: each trial job's spec.resources, which the dispatcher reads; checked like every kind's", () => {
    const resources = { gpu: 2, gpuType: 'NVIDIA-A100-SXM4-40GB', memory: '16Gi' };
    const { config } = parseStudyRequest(
      body({
        runner: { type: 'command', command: ['train'], image: 'ghcr.io/me/train:v1', resources },
      }),
    );
    assert.deepEqual(trialPodSpec(config), { trialImage: 'ghcr.io/me/train:v1', resources });
    assert.throws(
      () =>
        parseStudyRequest(
          body({ runner: { type: 'command', command: ['train'], resources: { memory: '8 GB' } } }),
        ),
      /runner\.resources\.memory/,
    );
    assert.throws(
      () =>
        parseStudyRequest(
          body({ runner: { type: 'command', command: ['train'], resources: { gpuType: 'T4' } } }),
        ),
      /runner\.resources/,
    );
  });

  test('the Study CRD checks the image with the same pattern at kubectl apply', () => {
    const crd = readFileSync(
      join(__dirname, '..', '..', 'k8s', 'base', 'crds', 'studies.autodl.io.yaml'),
      'utf8',
    );
    assert.ok(crd.includes(`pattern: '${IMAGE_REFERENCE_PATTERN}'`));
  });
});
