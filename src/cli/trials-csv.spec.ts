import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitCsv } from '../ml/data/csv';
import { trialsCsv } from './trials-csv';

test('trialsCsv: Optuna trials_dataframe columns, RFC 4180 quoting, read back by the CSV parser', () => {
  const csv = trialsCsv(
    ['loss'],
    [
      {
        number: 0,
        state: 'complete',
        params: { lr: 0.01, opt: 'adam' },
        values: [0.5],
        userAttrs: { note: 'a, "quoted" one' },
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:02.500Z',
      },
      { number: 1, state: 'pruned', params: { lr: 0.1, layers: 2 }, values: null, userAttrs: {} },
    ],
  );
  const records = splitCsv(csv, 'trials.csv').map((r) => r.fields);
  assert.deepEqual(records[0], [
    'number',
    'state',
    'value_loss',
    'params_layers',
    'params_lr',
    'params_opt',
    'user_attrs_note',
    'datetime_start',
    'datetime_complete',
    'duration_s',
  ]);
  assert.deepEqual(records[1], [
    '0',
    'complete',
    '0.5',
    '',
    '0.01',
    'adam',
    'a, "quoted" one',
    '2026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:02.500Z',
    '2.5',
  ]);
  assert.deepEqual(records[2], ['1', 'pruned', '', '2', '0.1', '', '', '', '', '']);
});
