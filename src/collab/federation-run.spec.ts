import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Codistill } from './core/codistill';
import { FedAvg } from './core/fedavg';
import { runFederationLoop, RoundQuorumError } from './federation-run';
import type { RoundRow } from './storage/federations.repository';
import type { WeightSet } from './core/weights';
import type { RoundScope, SitePlacement, SiteRoundResult, SiteRoundWork } from './site-placement';

/**
 * An in-memory placement: site k "trains" by moving every weight to k + 1 (so FedAvg's average is
 * the hand-computable sample-weighted mean of the site values), or misbehaves as scripted.
 */
class ScriptedPlacement implements SitePlacement {
  readonly placement = 'local' as const;
  calls: { site: string; work: SiteRoundWork }[] = [];
  scopes: RoundScope[] = [];
  constructor(
    readonly sites: { name: string; samples: number }[],
    private readonly behave: (site: string, work: SiteRoundWork) => 'ok' | 'nan' | 'huge' | 'crash',
  ) {}

  async train(site: string, work: SiteRoundWork): Promise<SiteRoundResult> {
    this.calls.push({ site, work });
    const k = this.sites.findIndex((s) => s.name === site);
    const mode = this.behave(site, work);
    if (mode === 'crash') throw new Error('worker killed');
    const value = mode === 'nan' ? Number.NaN : mode === 'huge' ? 1e9 : k + 1;
    const samples = this.sites[k].samples;
    const share = work.global
      ? { site, samples, weights: work.global.map((w) => new Float32Array(w.length).fill(value)) }
      : {
          site,
          samples,
          logits: Float32Array.from([Math.log(0.5 + 0.1 * k), Math.log(0.5 - 0.1 * k)]),
        };
    return { share, trainLoss: 0.1, trainAccuracy: 0.9, localAccuracy: 0.8 };
  }

  async evaluateGlobal(
    _global: WeightSet,
    scope?: RoundScope,
  ): Promise<{ site: string; accuracy: number; loss: number; count: number }[]> {
    if (scope) this.scopes.push(scope);
    return this.sites.flatMap((s, i) =>
      scope?.skip?.includes(s.name)
        ? []
        : [{ site: s.name, accuracy: i === 0 ? 1 : 0.5, loss: 0.2, count: s.samples }],
    );
  }

  dispose(): void {}
}

const sites = [
  { name: 'a', samples: 1 },
  { name: 'b', samples: 1 },
  { name: 'c', samples: 2 },
];
const screening = { normFactor: 10, maxRelativeNorm: 10, quorum: 2 };

async function run(placement: SitePlacement, rounds = 2, roundRetries = 1) {
  const rows: RoundRow[] = [];
  const logs: string[] = [];
  const outcome = await runFederationLoop(
    {
      algorithm: new FedAvg({ localEpochs: 1, learningRate: 0.1 }),
      placement,
      rounds,
      initialGlobal: [new Float32Array(3), new Float32Array(2)],
      screening,
      roundRetries,
      seed: 1,
    },
    {
      round: async (row) => {
        rows.push(row);
      },
      log: async (m) => {
        logs.push(m);
      },
      cancelled: () => false,
    },
  );
  return { outcome, rows, logs };
}

describe('the coordinator loop (in-memory placement)', () => {
  test('FedAvg rounds: the sample-weighted mean, bytes metered both ways, global accuracy pooled', async () => {
    const { outcome, rows } = await run(new ScriptedPlacement(sites, () => 'ok'));
    // (1 * 1 + 1 * 2 + 2 * 3) / 4 = 2.25
    assert.deepEqual([...outcome.global![0]], [2.25, 2.25, 2.25]);
    const bytes = 5 * 4; // 5 float32 weights
    assert.equal(rows[0].bytesUp, 3 * bytes);
    assert.equal(rows[0].bytesDown, 3 * bytes);
    assert.equal(outcome.bytesTotal, 2 * 6 * bytes);
    // (1 * 1 + 0.5 * 1 + 0.5 * 2) / 4
    assert.equal(rows[1].globalAccuracy, 0.625);
  });

  test('a NaN site and an absurd site are rejected, not averaged; a crashed site is skipped; quorum holds', async () => {
    const placement = new ScriptedPlacement(
      [...sites, { name: 'd', samples: 5 }, { name: 'e', samples: 5 }],
      (site) => (site === 'd' ? 'nan' : site === 'e' ? 'huge' : site === 'b' ? 'crash' : 'ok'),
    );
    const { outcome, rows } = await run(placement, 1);
    // a (1 sample, value 1) and c (2 samples, value 3): 7 / 3
    assert.ok(Math.abs(outcome.global![0][0] - 7 / 3) < 1e-6);
    assert.deepEqual(rows[0].accepted, ['a', 'c']);
    assert.deepEqual(
      rows[0].rejected.map((r) => [r.site, r.reason]),
      [
        ['d', 'non-finite'],
        ['e', 'norm'],
        ['b', 'failed'],
      ],
    );
  });

  test('a site that failed its train work is not asked to evaluate that round’s global model; a rejected one is', async () => {
    // b crashes in round 0 only (an absent agent: one siteTimeoutSeconds in train, none in
    // evaluation); d's NaN update is rejected, but d answered, so it evaluates.
    const placement = new ScriptedPlacement([...sites, { name: 'd', samples: 4 }], (site, work) =>
      site === 'b' && work.round === 0 ? 'crash' : site === 'd' ? 'nan' : 'ok',
    );
    const { rows } = await run(placement, 2);
    assert.deepEqual(
      placement.scopes.map((s) => s.skip),
      [['b'], []],
    );
    assert.deepEqual(
      rows.map((r) => r.rejected.map((x) => [x.site, x.reason])),
      [
        [
          ['d', 'non-finite'],
          ['b', 'failed'],
        ],
        [['d', 'non-finite']],
      ],
    );
    // pooled over the sites asked: round 0 a (1 x 1), c (2 x 0.5), d (4 x 0.5) = 4 / 7; round 1
    // with b back (1 x 0.5): 4.5 / 8
    assert.equal(rows[0].globalAccuracy, 4 / 7);
    assert.equal(rows[1].globalAccuracy, 4.5 / 8);
  });

  test('a round below quorum is retried (new attempt, new seed), then the federation fails', async () => {
    let crashes = 0;
    const flaky = new ScriptedPlacement(sites, (site, work) =>
      site !== 'a' && work.attempt === 1 ? (crashes++, 'crash') : 'ok',
    );
    const { rows, logs } = await run(flaky, 1);
    assert.equal(crashes, 2);
    assert.equal(rows[0].attempts, 2);
    assert.match(logs.join('\n'), /retrying the round/);
    const seeds = flaky.calls.filter((c) => c.site === 'a').map((c) => c.work.seed);
    assert.notEqual(seeds[0], seeds[1]);

    const dead = new ScriptedPlacement(sites, (site) => (site === 'a' ? 'ok' : 'crash'));
    await assert.rejects(run(dead, 1, 1), RoundQuorumError);
  });

  test('codistill: sites exchange logits only; each receives its teacher from round 1 on', async () => {
    const placement = new ScriptedPlacement(sites, () => 'ok');
    const rows: RoundRow[] = [];
    await runFederationLoop(
      {
        algorithm: new Codistill({
          localEpochs: 1,
          learningRate: 0.1,
          temperature: 1,
          weight: 1,
          numClasses: 2,
        }),
        placement,
        rounds: 2,
        screening,
        roundRetries: 0,
        seed: 0,
        logitsLength: 2,
      },
      { round: async (r) => void rows.push(r), log: async () => {}, cancelled: () => false },
    );
    assert.ok(
      placement.calls.every((c) => c.work.global === undefined),
      'no weights cross',
    );
    assert.equal(rows[0].bytesDown, 0);
    assert.equal(rows[0].bytesUp, 3 * 2 * 4);
    assert.equal(rows[1].bytesDown, 3 * 2 * 4);
    const teacherOfA = placement.calls.find((c) => c.site === 'a' && c.work.round === 1)?.work
      .teacher;
    // peers b (0.6, 0.4) and c (0.7, 0.3): 0.65
    assert.ok(Math.abs(teacherOfA![0] - 0.65) < 1e-6);
  });

  test('codistill: round r’s teacher comes from round r-1’s shares (not older, not the site’s own), weighted by reported accuracy', async () => {
    // site k in round r shares softmax = [p, 1 - p], p = 0.2 + 0.1 k + 0.05 r; reports accuracy
    // 0.6 + 0.1 k (chance 0.5): teacher weights 0.1, 0.2, 0.3 for a, b, c.
    const calls: { site: string; work: SiteRoundWork }[] = [];
    const names = ['a', 'b', 'c'];
    const placement: SitePlacement = {
      placement: 'local',
      sites: names.map((name) => ({ name, samples: 1 })),
      train: async (site, work) => {
        calls.push({ site, work });
        const k = names.indexOf(site);
        const p = 0.2 + 0.1 * k + 0.05 * work.round;
        return {
          share: { site, samples: 1, logits: Float32Array.from([Math.log(p), Math.log(1 - p)]) },
          trainLoss: 0.1,
          trainAccuracy: 0.9,
          localAccuracy: 0.6 + 0.1 * k,
        };
      },
      evaluateGlobal: async () => [],
      dispose: () => undefined,
    };
    await runFederationLoop(
      {
        algorithm: new Codistill({
          localEpochs: 1,
          learningRate: 0.1,
          temperature: 1,
          weight: 1,
          numClasses: 2,
        }),
        placement,
        rounds: 3,
        screening,
        roundRetries: 0,
        seed: 0,
        logitsLength: 2,
      },
      { round: async () => undefined, log: async () => {}, cancelled: () => false },
    );
    const of = (site: string, round: number) =>
      calls.find((c) => c.site === site && c.work.round === round)!.work;
    assert.equal(of('a', 0).teacher, undefined);
    // round 2, site a: peers b (p = 0.3 + 0.05) and c (0.4 + 0.05) of round 1, weights 0.2 : 0.3
    const p = (k: number, r: number) => 0.2 + 0.1 * k + 0.05 * r;
    const expectA = (0.2 * p(1, 1) + 0.3 * p(2, 1)) / 0.5;
    assert.ok(Math.abs(of('a', 2).teacher![0] - expectA) < 1e-6, `${of('a', 2).teacher![0]}`);
    // site c (the best) is taught by a and b: quality (0.1^2 + 0.2^2) / 0.3 = 1/6 over its 0.3
    const expectC = (0.1 * p(0, 1) + 0.2 * p(1, 1)) / 0.3;
    assert.ok(Math.abs(of('c', 2).teacher![0] - expectC) < 1e-6);
    assert.ok(Math.abs(of('c', 2).plan.distillation!.weight - 1 / 6 / 0.3) < 1e-6);
    assert.equal(of('a', 2).plan.distillation!.weight, 1, 'a weaker site learns at full weight');
  });
});

describe('the coordinator loop with server distillation (FedDF fuse hook)', () => {
  test('fuse sees the accepted sites’ weights and the average, its weights become the global ones; the bytes do not change', async () => {
    const seen: { sites: number[]; average: number; round: number }[] = [];
    const rows: RoundRow[] = [];
    const logs: string[] = [];
    const fusedRounds: number[] = [];
    const outcome = await runFederationLoop(
      {
        algorithm: new FedAvg({ localEpochs: 1, learningRate: 0.1 }),
        placement: new ScriptedPlacement(sites, () => 'ok'),
        rounds: 2,
        initialGlobal: [new Float32Array(3), new Float32Array(2)],
        screening,
        roundRetries: 0,
        seed: 1,
        fuse: async (siteWeights, average, round) => {
          seen.push({ sites: siteWeights.map((w) => w[0][0]), average: average[0][0], round });
          return {
            weights: average.map((w) => w.map((v) => v + 1)),
            steps: 10,
            bestStep: 5,
            initialLoss: 1,
            bestLoss: 0.5,
          };
        },
      },
      {
        round: async (row) => void rows.push(row),
        log: async (m) => void logs.push(m),
        fused: (round) => void fusedRounds.push(round),
        cancelled: () => false,
      },
    );
    // Sites move every weight to 1, 2, 3; the sample-weighted mean is 2.25; fuse adds 1.
    assert.deepEqual(seen, [
      { sites: [1, 2, 3], average: 2.25, round: 0 },
      { sites: [1, 2, 3], average: 2.25, round: 1 },
    ]);
    assert.deepEqual([...outcome.global![0]], [3.25, 3.25, 3.25]);
    assert.deepEqual(fusedRounds, [0, 1]);
    assert.equal(outcome.bytesTotal, 2 * 6 * 5 * 4); // as without fuse: weights only
    assert.ok(logs.some((m) => /round 1: server distillation 5\/10 steps kept/.test(m)));
  });
});
