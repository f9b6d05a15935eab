import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FederationRound } from '../../api/federations';
import { federationRoundsOption, roundSeries } from './federation-rounds';

const site = (name: string, localAccuracy: number | null) => ({
  site: name,
  trainLoss: null,
  trainAccuracy: null,
  localAccuracy,
  updateNorm: null,
  accepted: true,
  bytesSent: 0,
  bytesReceived: 0,
});
const round = (
  n: number,
  globalAccuracy: number | null,
  sites: ReturnType<typeof site>[],
): FederationRound => ({
  round: n,
  attempts: 1,
  accepted: sites.map((s) => s.site),
  rejected: [],
  bytesUp: 1024 * 1024,
  bytesDown: 2 * 1024 * 1024,
  globalAccuracy,
  globalLoss: null,
  sites,
});

test('rounds from 1, out of order in, in order out; a round without an evaluation leaves no point', () => {
  const rounds = [
    round(1, 0.8, [site('b', 0.7), site('a', null)]),
    round(0, 0.6, [site('a', 0.5), site('b', 0.55)]),
    round(2, null, [site('a', 0.9)]),
  ];
  const byRound = roundSeries(rounds, 'round');
  assert.deepEqual(byRound.global, [
    [1, 0.6],
    [2, 0.8],
  ]);
  assert.deepEqual(byRound.sites.get('a'), [
    [1, 0.5],
    [3, 0.9],
  ]);
  assert.deepEqual(byRound.sites.get('b'), [
    [1, 0.55],
    [2, 0.7],
  ]);
  // By bytes: 3 MiB per round, summed up to the round's end.
  assert.deepEqual(roundSeries(rounds, 'bytes').global, [
    [3, 0.6],
    [6, 0.8],
  ]);
});

test('the global model first and thick, the sites dashed in name order; axes at the edges', () => {
  const option = federationRoundsOption(
    [round(0, 0.6, [site('zeta', 0.5), site('alpha', 0.55)])],
    'bytes',
  );
  const series = option.series as { name: string; lineStyle: { type?: string; width: number } }[];
  assert.deepEqual(
    series.map((s) => s.name),
    ['global model', 'site alpha', 'site zeta'],
  );
  assert.equal(series[0].lineStyle.width, 3);
  assert.equal(series[1].lineStyle.type, 'dashed');
  const x = option.xAxis as { name: string; axisLine: { onZero: boolean } };
  assert.equal(x.name, 'MiB exchanged');
  assert.equal(x.axisLine.onZero, false);
  const rounds = federationRoundsOption([round(0, 0.6, [])], 'round').xAxis as { min: number };
  assert.equal(rounds.min, 1);
  const codistill = federationRoundsOption([round(0, 0.6, [])], 'round', 'mean of the sites');
  assert.equal((codistill.series as { name: string }[])[0].name, 'mean of the sites');
});
