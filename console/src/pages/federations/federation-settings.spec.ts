import assert from 'node:assert/strict';
import { test } from 'node:test';
import { federationSettings } from './federation-settings';

const name = (id: string) => ({ 'id-fash': 'fash', 'id-shared': 'shared-1600' })[id] ?? id;

test('esp-clr with FedDF, a shared set and a quorum: each setting once, data sets by name', () => {
  assert.deepEqual(
    federationSettings(
      {
        algorithm: 'esp-clr',
        sites: [{}, {}, {}],
        epochs: 8,
        period: 2,
        learningRate: 0.005,
        minLr: 0.0001,
        optimizer: 'adam',
        batchSize: 32,
        sharedDataset: 'id-shared',
        publicDataset: 'id-fash',
        freezeHead: true,
        scaffold: false,
        proximalMu: 0,
        serverMomentum: 0,
        peakDecay: 1,
        serverDistillation: { steps: 100 },
        classifierCalibration: null,
        quorum: 2,
        seed: 1,
      },
      name,
    ),
    [
      '8 epochs, averaged every 2',
      'adam at 0.005 → 0.0001',
      'batch 32',
      'shared set shared-1600',
      'FedBABU (body only)',
      'FedDF, 100 steps a round on fash',
      'quorum 2 of 3 sites',
      'seed 1',
    ],
  );
});

test('fedavg: local epochs a round, no cycle minimum; FedDF without steps at the default', () => {
  const settings = federationSettings(
    {
      algorithm: 'fedavg',
      epochs: 4,
      localEpochs: 1,
      learningRate: 0.05,
      minLr: 0.001,
      optimizer: 'momentum',
      serverDistillation: {},
      publicDataset: 'id-fash',
      scaffold: true,
      classifierCalibration: 'ccvr',
    },
    name,
  );
  assert.deepEqual(settings, [
    '4 epochs, 1 a round',
    'momentum at 0.05',
    'SCAFFOLD',
    'FedDF, 500 steps a round on fash',
    'head calibration ccvr',
  ]);
  // codistill's public set is named as such.
  assert.deepEqual(federationSettings({ algorithm: 'codistill', publicDataset: 'x' }, name), [
    'public set x',
  ]);
});
