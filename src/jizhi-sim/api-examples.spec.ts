import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RECOMMENDER_PIPELINE, SIMULATE_EXAMPLE, TUNE_EXAMPLE } from './api-examples';
import { SimulateJobHandler } from './simulate.handler';
import { TuneJobHandler } from './tune.handler';

const dir = path.resolve(__dirname, '..', '..', 'examples', 'jizhi');
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));

test('the API console examples equal examples/jizhi/*.json (the documented reference requests)', () => {
  assert.deepEqual(RECOMMENDER_PIPELINE, read('recommender.json'));
  assert.deepEqual({ pipeline: RECOMMENDER_PIPELINE, ...SIMULATE_EXAMPLE }, read('simulate.json'));
  assert.deepEqual({ pipeline: RECOMMENDER_PIPELINE, ...TUNE_EXAMPLE }, read('tune.json'));
});

test('the examples are accepted by the simulate and tune handlers as they stand', () => {
  new SimulateJobHandler().validate({ pipeline: RECOMMENDER_PIPELINE, ...SIMULATE_EXAMPLE });
  new TuneJobHandler().validate({ pipeline: RECOMMENDER_PIPELINE, ...TUNE_EXAMPLE });
});
