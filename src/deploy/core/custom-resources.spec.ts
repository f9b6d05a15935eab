/**
 * The pure rules of the custom-resource operator: a Study/FineTune spec as the REST body, the
 * service's state as status, the next action for a resource (finalizer first, create once,
 * cancel on delete), budget edits, and Kubernetes' condition semantics (meta.SetStatusCondition:
 * lastTransitionTime moves only when the status flips).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStudyRequest } from '../../search/study.schema';
import { finetuneRequest as finetuneBody } from '../../transfer/finetune.schema';
import {
  budgetChange,
  FINALIZER,
  finetuneRequest,
  finetuneStatus,
  nextAction,
  refusalMessage,
  setCondition,
  specHash,
  studyRequest,
  studyStatus,
  type StudyResource,
  type StudyView,
} from './custom-resources';

const study = (over: Partial<StudyResource> = {}): StudyResource => ({
  metadata: {
    name: 'branin',
    namespace: 'team-a',
    uid: 'u-1',
    generation: 1,
    finalizers: [FINALIZER],
  },
  spec: {
    space: { x: { type: 'float', low: -5, high: 10 } },
    direction: 'minimize',
    sampler: { name: 'tpe', settings: { seed: 7 } },
    maxTrials: 8,
    parallelism: 2,
    timeoutSeconds: 3600,
    trial: { command: ['node', '-e', 'x'], env: { A: '1' }, timeoutSeconds: 60 },
  },
  ...over,
});

const view = (over: Partial<StudyView> = {}): StudyView => ({
  id: 's-1',
  status: 'running',
  jobId: 'j-1',
  job: { status: 'running', progress: 0.25, error: null },
  counts: { running: 2, complete: 2, pruned: 1, failed: 0 },
  bestValue: 0.5,
  bestParams: { x: 3 },
  budget: { nTrials: 8, parallelism: 2 },
  ...over,
});

describe('Study spec -> POST /v1/studies body', () => {
  test('maps every field and the service accepts it as a command study', () => {
    const body = studyRequest(study());
    assert.deepEqual(body, {
      name: 'branin',
      space: { x: { type: 'float', low: -5, high: 10 } },
      direction: 'minimize',
      sampler: { name: 'tpe', settings: { seed: 7 } },
      budget: { nTrials: 8, timeoutS: 3600, parallelism: 2 },
      runner: { type: 'command', command: ['node', '-e', 'x'], env: { A: '1' }, timeoutS: 60 },
    });
    const parsed = parseStudyRequest(body);
    assert.equal(parsed.config.runner.type, 'command');
    assert.equal(parsed.config.budget.nTrials, 8);
  });

  test('a trial image and a placement map onto runner.image and placement', () => {
    const spec = {
      ...study().spec,
      trial: { command: ['python', 'train.py'], image: 'ghcr.io/me/train:v1' },
      placement: { namespace: 'trials-a', nodeSelector: { pool: 'a' } },
    };
    const body = studyRequest(study({ spec }));
    assert.deepEqual(body.runner, {
      type: 'command',
      command: ['python', 'train.py'],
      image: 'ghcr.io/me/train:v1',
    });
    const parsed = parseStudyRequest(body);
    assert.deepEqual(parsed.config.placement, {
      namespace: 'trials-a',
      nodeSelector: { pool: 'a' },
    });
    assert.equal(
      refusalMessage('Study', 'x', [{ field: 'runner.image', message: 'bad' }]),
      'spec.trial.image: bad',
    );
  });

  test("a trial's resources map onto runner.resources; the service's problem names spec.trial.resources", () => {
    const resources = { gpu: 1, memory: '8Gi' };
    const spec = { ...study().spec, trial: { command: ['python', 'train.py'], resources } };
    const body = studyRequest(study({ spec }));
    assert.deepEqual((body.runner as { resources?: unknown }).resources, resources);
    assert.deepEqual(
      (parseStudyRequest(body).config.runner as { resources?: unknown }).resources,
      resources,
    );
    assert.equal(
      refusalMessage('Study', 'x', [{ field: 'runner.resources.memory', message: 'bad' }]),
      'spec.trial.resources.memory: bad',
    );
  });

  test("the service's problems name the resource's fields", () => {
    const body = studyRequest(study({ spec: { ...study().spec, maxTrials: 0 } }));
    try {
      parseStudyRequest(body);
      assert.fail('expected a refusal');
    } catch (e) {
      const { message, problems } = e as {
        message: string;
        problems: { field: string; message: string }[];
      };
      const text = refusalMessage('Study', message, problems);
      assert.match(text, /^spec\.maxTrials: /);
    }
    assert.equal(
      refusalMessage('Study', 'x', [{ field: 'runner.command[0]', message: 'bad' }]),
      'spec.trial.command[0]: bad',
    );
    assert.equal(
      refusalMessage('Study', 'x', [{ field: 'sampler.name', message: 'bad' }]),
      'spec.sampler.name: bad',
    );
  });
});

describe('FineTune spec -> POST /v1/finetune body', () => {
  test('the same fields; the request schema accepts it', () => {
    const body = finetuneRequest({
      metadata: { name: 'ft', namespace: 'n', uid: 'u' },
      spec: { baseModel: 'm', dataset: 'd', method: 'delta', epochs: 3, resources: { gpu: 1 } },
    });
    assert.deepEqual(body, {
      baseModel: 'm',
      dataset: 'd',
      method: 'delta',
      epochs: 3,
      resources: { gpu: 1 },
    });
    assert.equal(finetuneBody.parse(body, '').method, 'delta');
  });
});

describe('next action', () => {
  test('finalizer first, then create, then follow; delete cancels then releases', () => {
    assert.deepEqual(
      nextAction('Study', study({ metadata: { ...study().metadata, finalizers: [] } })),
      {
        type: 'add-finalizer',
      },
    );
    assert.deepEqual(nextAction('Study', study()), { type: 'create' });
    const created = study({ status: { studyId: 's-1', phase: 'Running', observedGeneration: 1 } });
    assert.deepEqual(nextAction('Study', created), { type: 'follow', id: 's-1' });
    const deleting = { ...created, metadata: { ...created.metadata, deletionTimestamp: 'now' } };
    assert.deepEqual(nextAction('Study', deleting), { type: 'finalize' });
    const released = { ...deleting, metadata: { ...deleting.metadata, finalizers: [] } };
    assert.deepEqual(nextAction('Study', released), { type: 'none' });
  });

  test('a refused spec waits for an edit; a finished one re-follows only after an edit', () => {
    const refused = study({ status: { phase: 'Failed', observedGeneration: 1 } });
    assert.deepEqual(nextAction('Study', refused), { type: 'done' });
    const edited = { ...refused, metadata: { ...refused.metadata, generation: 2 } };
    assert.deepEqual(nextAction('Study', edited), { type: 'create' });
    const finished = study({ status: { studyId: 's', phase: 'Succeeded', observedGeneration: 1 } });
    assert.deepEqual(nextAction('Study', finished), { type: 'done' });
    const later = { ...finished, metadata: { ...finished.metadata, generation: 2 } };
    assert.deepEqual(nextAction('Study', later), { type: 'follow', id: 's' });
  });
});

describe('budget edits and immutable fields', () => {
  test('only what differs from the running study', () => {
    assert.equal(budgetChange(study().spec, { nTrials: 8, parallelism: 2 }), null);
    assert.deepEqual(
      budgetChange({ ...study().spec, maxTrials: 12 }, { nTrials: 8, parallelism: 2 }),
      {
        nTrials: 12,
      },
    );
    assert.deepEqual(
      budgetChange({ ...study().spec, parallelism: undefined }, { nTrials: 8, parallelism: 2 }),
      {
        parallelism: 1,
      },
    );
  });

  test('the spec hash ignores maxTrials and parallelism, nothing else, and key order', () => {
    const s = study().spec;
    assert.equal(specHash('Study', s), specHash('Study', { ...s, maxTrials: 99, parallelism: 9 }));
    assert.notEqual(specHash('Study', s), specHash('Study', { ...s, direction: 'maximize' }));
    const reordered = Object.fromEntries(Object.entries(s).reverse());
    assert.equal(specHash('Study', s), specHash('Study', reordered));
  });
});

describe('status', () => {
  test('a running study: counts, progress over maxTrials, best value', () => {
    const st = studyStatus(view());
    assert.equal(st.phase, 'Running');
    assert.equal(st.trialsDone, 3);
    assert.equal(st.trialsRunning, 2);
    assert.equal(st.progress, 0.375);
    assert.equal(st.bestValue, 0.5);
    assert.equal(st.message, '3/8 trials finished, 2 running');
  });

  test('phases: queued driver Pending, completed Succeeded, stopped Cancelled, failed with its error', () => {
    const none = { running: 0, complete: 0, pruned: 0, failed: 0 };
    assert.equal(
      studyStatus(view({ job: { status: 'queued', progress: 0, error: null }, counts: none }))
        .phase,
      'Pending',
    );
    assert.equal(studyStatus(view({ status: 'completed' })).progress, 1);
    assert.equal(studyStatus(view({ status: 'stopped' })).phase, 'Cancelled');
    const failed = studyStatus(
      view({ status: 'failed', job: { status: 'failed', progress: 0, error: 'boom' } }),
    );
    assert.deepEqual([failed.phase, failed.message], ['Failed', 'boom']);
    // JSON cannot carry NaN: the column stays empty.
    assert.equal('bestValue' in studyStatus(view({ bestValue: Number.NaN })), false);
  });

  test('a fine-tune job: phase, progress, model id', () => {
    const st = finetuneStatus({
      id: 'j',
      status: 'succeeded',
      progress: 0.9,
      progressMessage: null,
      error: null,
      result: { modelId: 'm-2' },
    });
    assert.deepEqual(st, {
      phase: 'Succeeded',
      jobId: 'j',
      progress: 1,
      message: 'registered model m-2',
      modelId: 'm-2',
    });
  });
});

describe('conditions (meta.SetStatusCondition)', () => {
  test('lastTransitionTime moves only when the status flips', () => {
    const a = setCondition(
      [],
      { type: 'Complete', status: 'False', reason: 'Running', message: '' },
      't1',
    );
    const b = setCondition(
      a,
      { type: 'Complete', status: 'False', reason: 'Running', message: 'x' },
      't2',
    );
    assert.equal(b[0].lastTransitionTime, 't1');
    const c = setCondition(
      b,
      { type: 'Complete', status: 'True', reason: 'Succeeded', message: '' },
      't3',
    );
    assert.equal(c[0].lastTransitionTime, 't3');
    assert.equal(c.length, 1);
  });
});
