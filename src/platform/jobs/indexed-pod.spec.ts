/** runIndexedPod: an Indexed Job's pod runs its handler without owning (or writing) the row. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobContext, JobHandler } from './job-handler';
import { IndexedPodError, runIndexedPod } from './indexed-pod';

const row = { id: 'j1', projectId: 'p1', kind: 'part', spec: { n: 2 }, status: 'queued' };

function handler(run: (spec: { n: number }, ctx: JobContext) => Promise<unknown>): JobHandler {
  return {
    kind: 'part',
    validate: (s) => {
      const spec = s as { n: unknown };
      if (typeof spec.n !== 'number') throw new Error('n must be a number');
      return spec;
    },
    run: run as JobHandler['run'],
  };
}

describe('runIndexedPod', () => {
  const never = new AbortController().signal;
  const noArtifacts = () => Promise.reject(new Error('none'));

  test('runs the validated spec; log lines go to the pod output; progress, metrics and checkpoints are dropped', async () => {
    const lines: string[] = [];
    const result = await runIndexedPod(
      row,
      () =>
        handler(async (spec, ctx) => {
          await ctx.progress(0.5, 'half');
          await ctx.metric('m', 0, 1);
          await ctx.checkpoint({ k: 1 });
          await ctx.log('trained', 'warn');
          assert.equal(ctx.cancelled, false);
          return spec.n * 2;
        }),
      (l) => lines.push(l),
      never,
      noArtifacts,
    );
    assert.equal(result, 4);
    assert.deepEqual(lines, ['warn: trained']);
  });

  test('an artifact write is refused (the row is not the pod’s); cancellation follows the signal', async () => {
    const abort = new AbortController();
    await assert.rejects(
      runIndexedPod(
        row,
        () =>
          handler(async (_s, ctx) => {
            abort.abort();
            assert.equal(ctx.cancelled, true);
            await ctx.artifact('x', 'y');
          }),
        () => undefined,
        abort.signal,
        noArtifacts,
      ),
      IndexedPodError,
    );
  });

  test('a missing or finished row, or a spec its handler refuses, runs nothing', async () => {
    let ran = 0;
    const h = () => handler(async () => ran++);
    await assert.rejects(
      runIndexedPod(null, h, () => undefined, never, noArtifacts),
      /no such job/,
    );
    await assert.rejects(
      runIndexedPod({ ...row, status: 'cancelled' }, h, () => undefined, never, noArtifacts),
      /cancelled: nothing to run/,
    );
    await assert.rejects(
      runIndexedPod({ ...row, spec: {} }, h, () => undefined, never, noArtifacts),
      /n must be a number/,
    );
    assert.equal(ran, 0);
  });
});
