import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArtifactRef, JobCancelledError, JobContext } from '../platform/jobs/job-handler';
import { UnprocessableError, ValidationError } from '../platform/errors/domain-error';
import { SimulateJobHandler } from './simulate.handler';
import { TuneJobHandler } from './tune.handler';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function fakeContext(cancelAfterProgress = Infinity) {
  const progress: number[] = [];
  const logs: string[] = [];
  const artifacts = new Map<string, Buffer>();
  let cancelled = false;
  const ctx: JobContext = {
    jobId: 'j1',
    projectId: 'p1',
    attempt: 1,
    resumeFrom: undefined,
    signal: new AbortController().signal,
    get cancelled() {
      return cancelled;
    },
    async progress(f: number) {
      progress.push(f);
      if (progress.length >= cancelAfterProgress) cancelled = true;
    },
    async log(message: string) {
      logs.push(message);
    },
    async metric() {},
    async checkpoint() {},
    async artifact(
      name: string,
      data: Buffer | string,
      contentType = 'application/octet-stream',
    ): Promise<ArtifactRef> {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
      artifacts.set(name, buf);
      return { jobId: 'j1', name, size: buf.length, sha256: '', contentType };
    },
    async readArtifact() {
      return Buffer.alloc(0);
    },
  };
  return { ctx, progress, artifacts, logs };
}

const pipeline = {
  stages: [
    { id: 'a', instances: 2, service: { dist: 'exponential', fixedMs: 5 }, next: ['b'] },
    {
      id: 'b',
      instances: 1,
      batch: { maxSize: 8, maxDelayMs: 3 },
      service: { dist: 'deterministic', fixedMs: 4, perItemMs: 0.5 },
    },
  ],
};

describe('job handlers', () => {
  test('simulate: validate refuses bad specs (400) and unstable ones (422) before queueing', () => {
    const h = new SimulateJobHandler();
    assert.throws(
      () => h.validate({ pipeline, traffic: { model: 'poisson', rateRps: 100 } }),
      ValidationError,
    );
    assert.throws(
      () => h.validate({ pipeline, traffic: { model: 'poisson', rateRps: 5000 }, durationS: 10 }),
      UnprocessableError,
    );
  });

  test('simulate: monotone progress, PNG artifacts, and the same result as the core for the seed', async () => {
    const h = new SimulateJobHandler();
    const spec = h.validate({
      pipeline,
      traffic: { model: 'poisson', rateRps: 300 },
      durationS: 2000,
      warmupS: 10,
      seed: 3,
    });
    const { ctx, progress, artifacts, logs } = fakeContext();
    const r = await h.run(spec, ctx);
    // What it simulates, then what came out: the job's log is not empty.
    assert.match(
      logs[0],
      /^simulating 2000 s of poisson traffic \(the first 10 s as warm-up\) through 2 stages: a -> b/,
    );
    assert.equal(
      logs.at(-1),
      `done: p99 ${r.latencyMs.p99.toFixed(1)} ms, ${r.throughputRps.toFixed(1)} req/s, drop rate ${Number(r.requests.dropRate.toPrecision(3))}, ${r.events} events`,
    );
    assert.ok(progress.length > 3);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1]);
    assert.equal(progress[progress.length - 1], 1);
    for (const name of ['latency-cdf.png', 'utilisation.png'])
      assert.deepEqual(artifacts.get(name)?.subarray(0, 8), PNG_SIGNATURE);
    const again = await h.run(spec, fakeContext().ctx);
    assert.equal(JSON.stringify(again), JSON.stringify(r));
  });

  test('simulate: cancellation stops at the next chunk', async () => {
    const h = new SimulateJobHandler();
    const spec = h.validate({
      pipeline,
      traffic: { model: 'poisson', rateRps: 300 },
      durationS: 5000,
      seed: 1,
    });
    await assert.rejects(h.run(spec, fakeContext(2).ctx), JobCancelledError);
  });

  test('tune: runs the budget, reports progress per trial and a Pareto PNG', async () => {
    const h = new TuneJobHandler();
    const spec = h.validate({
      pipeline,
      traffic: { model: 'poisson', rateRps: 300 },
      slo: { p99Ms: 30 },
      space: [
        { stage: 'a', param: 'instances', low: 1, high: 4 },
        { stage: 'b', param: 'batch.maxSize', values: [1, 4, 8] },
      ],
      budget: { trials: 8 },
      seeds: 1,
      durationS: 10,
    });
    const { ctx, progress, artifacts, logs } = fakeContext();
    const r = await h.run(spec, ctx);
    assert.equal(r.trials, 8);
    assert.equal(progress.length, 9);
    // The log: the search, each new best (cheaper, or as cheap with a lower p99), the choice.
    assert.match(logs[0], /^tuning 2 parameters of 2 stages with \w+ over 8 trials/);
    const improvements = logs.filter((l) => l.endsWith('the best so far'));
    const costs = improvements.map((l) => Number(/cost ([\d.]+)/.exec(l)![1]));
    for (let i = 1; i < costs.length; i++) assert.ok(costs[i] <= costs[i - 1], logs.join('\n'));
    if (r.best) {
      assert.ok(improvements.length >= 1);
      assert.match(
        logs.at(-1)!,
        new RegExp(`^chosen: cost ${Number(r.best.cost.toPrecision(4))}, p99`),
      );
      assert.equal(costs.at(-1), Number(r.best.cost.toPrecision(4)));
    } else assert.match(logs.at(-1)!, /^no configuration met the SLO in 8 trials/);
    assert.deepEqual(artifacts.get('pareto.png')?.subarray(0, 8), PNG_SIGNATURE);
  });

  test('tune: a job cancelled after its first checkpoint resumes to the uninterrupted result without re-simulating', async () => {
    const h = new TuneJobHandler();
    const spec = h.validate({
      pipeline,
      traffic: { model: 'poisson', rateRps: 300 },
      slo: { p99Ms: 30 },
      space: [
        { stage: 'a', param: 'instances', low: 1, high: 6 },
        { stage: 'b', param: 'batch.maxSize', values: [1, 2, 4, 8] },
      ],
      budget: { trials: 20 },
      seeds: 1,
      durationS: 10,
    });
    const uninterrupted = await h.run(spec, fakeContext().ctx);
    // Cancelled at the 10th progress report, right before the checkpoint after trial 10.
    const first = fakeContext(10);
    let saved: unknown;
    first.ctx.checkpoint = async (state: unknown) => {
      saved = JSON.parse(JSON.stringify(state));
    };
    await assert.rejects(h.run(spec, first.ctx), JobCancelledError);
    assert.ok(saved !== undefined);
    const second = fakeContext();
    const resumed = await h.run(spec, {
      ...second.ctx,
      resumeFrom: saved,
      cancelled: false,
      checkpoint: async () => {},
    });
    assert.equal(JSON.stringify(resumed), JSON.stringify(uninterrupted));
  });
});
