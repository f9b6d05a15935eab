/** Quota admission on hand-computed queues (first come, first served within a project). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admit, validateQuota } from './quota';

const q = (projectId: string, gpu: number, id: string) => ({ projectId, gpu, id });

describe('admit', () => {
  test('global cap counts the Jobs already running', () => {
    const out = admit(
      [q('a', 0, '1'), q('b', 0, '2'), q('c', 0, '3')],
      [{ projectId: 'x', gpu: 0 }],
      {
        maxConcurrentJobs: 3,
        maxJobsPerProject: 5,
        maxGpusPerProject: 5,
      },
    );
    assert.deepEqual(
      out.map((c) => c.id),
      ['1', '2'],
    );
  });

  test('GPU cap per project, with running usage: a=1 running GPU, cap 2 -> one more 1-GPU job', () => {
    const out = admit(
      [q('a', 1, '1'), q('a', 1, '2'), q('b', 2, '3')],
      [{ projectId: 'a', gpu: 1 }],
      { maxConcurrentJobs: 10, maxJobsPerProject: 10, maxGpusPerProject: 2 },
    );
    assert.deepEqual(
      out.map((c) => c.id),
      ['1', '3'],
    );
  });

  test('a blocked job holds back later jobs of its project only (no overtaking within a project)', () => {
    const out = admit(
      [q('a', 2, '1'), q('a', 0, '2'), q('b', 0, '3')],
      [{ projectId: 'a', gpu: 1 }],
      {
        maxConcurrentJobs: 10,
        maxJobsPerProject: 10,
        maxGpusPerProject: 2,
      },
    );
    assert.deepEqual(
      out.map((c) => c.id),
      ['3'],
    );
  });

  test('per-project Job cap', () => {
    const out = admit([q('a', 0, '1'), q('a', 0, '2'), q('a', 0, '3')], [], {
      maxConcurrentJobs: 10,
      maxJobsPerProject: 2,
      maxGpusPerProject: 0,
    });
    assert.deepEqual(
      out.map((c) => c.id),
      ['1', '2'],
    );
  });

  test('validateQuota names the bad field', () => {
    assert.throws(
      () => validateQuota({ maxConcurrentJobs: -1, maxJobsPerProject: 1, maxGpusPerProject: 1 }),
      /maxConcurrentJobs must be a non-negative integer, got -1/,
    );
  });
});
