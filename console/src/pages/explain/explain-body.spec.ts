import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURE_SELECTIONS as SERVER_FEATURE_SELECTIONS } from '../../../../src/interpret/core/lime-base';
import {
  FEATURE_SELECTIONS,
  explainBody,
  explainFieldErrors,
  explainFieldOf,
  initialExplainForm,
} from './explain-body';

test('explain body: LIME on an image model sends its superpixel parameters, not NormLIME ones', () => {
  const f = initialExplainForm();
  f.model = 'shapes-cnn';
  f.dataset = 'shapes';
  f.sampleSize = '2';
  f.parameters.numSamples = '120';
  f.parameters.nSegments = '8';
  f.featureSelection = 'highest_weights';
  assert.deepEqual(explainBody(f, 'image'), {
    model: 'shapes-cnn',
    method: 'lime',
    dataset: 'shapes',
    sampleSize: 2,
    parameters: {
      numSamples: 120,
      numFeatures: 10,
      nSegments: 8,
      compactness: 10,
      seed: 0,
      featureSelection: 'highest_weights',
    },
  });
});

test('explain body: NormLIME on a tabular model, blank fields left out, text sent as typed', () => {
  const f = initialExplainForm();
  f.model = 'iris';
  f.method = 'normlime';
  f.sampleSize = '';
  f.discretize = false;
  f.parameters.numSamples = 'lots';
  f.parameters.seed = '';
  assert.deepEqual(explainBody(f, 'tabular'), {
    model: 'iris',
    method: 'normlime',
    parameters: { numSamples: 'lots', numFeatures: 10, numClusters: 10, discretize: false },
  });
});

test('explain field errors: parameters and spec prefixes dropped, instances -> dataset, others on top', () => {
  assert.equal(explainFieldOf('parameters.numSamples'), 'numSamples');
  assert.equal(explainFieldOf('spec.parameters.nSegments'), 'nSegments');
  assert.equal(explainFieldOf('sampleSize'), 'sampleSize');
  assert.equal(explainFieldOf('instances'), 'dataset');
  assert.equal(explainFieldOf('labels[0]'), '');
  assert.deepEqual(
    explainFieldErrors([
      { field: 'parameters.numSamples', message: 'must be an integer in [10, 100000], got 5' },
      { field: 'labels[0]', message: 'must be in [0, 1]' },
      { message: 'model x not found' },
    ]),
    {
      numSamples: ['must be an integer in [10, 100000], got 5'],
      '': ['labels[0]: must be in [0, 1]', 'model x not found'],
    },
  );
});

test('the form offers the feature selections the server accepts', () => {
  assert.deepEqual(FEATURE_SELECTIONS, [...SERVER_FEATURE_SELECTIONS]);
});
