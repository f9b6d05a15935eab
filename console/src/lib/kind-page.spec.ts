import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindPage } from './kind-page';

test("a job's own page by kind; kinds without one get none", () => {
  assert.equal(kindPage('federation', 'f1')?.to, '/federations/f1');
  assert.equal(kindPage('tune', 't1')?.to, '/simulations/tunings/t1');
  assert.equal(kindPage('normlime', 'n1')?.to, '/explanations/n1');
  assert.equal(kindPage('federation-site', 's1'), null);
  assert.equal(kindPage('sleep', 'x'), null);
});
