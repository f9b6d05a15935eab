import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracyLine } from './collab';

test("collab show's accuracy line names what was scored: the global model, or codistill's sites", () => {
  assert.equal(
    accuracyLine('esp-clr', 0.90554),
    "accuracy   0.9055 (global model, sites' test splits)",
  );
  // codistill exchanges predictions: there is no global model, the number is the sites' mean.
  assert.equal(
    accuracyLine('codistill', 0.9063),
    "accuracy   0.9063 (mean of the sites' own models, each on its test split)",
  );
});
