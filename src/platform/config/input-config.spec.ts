import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, workerEnv } from './app-config';

test('input limits: AUTODL_DATASET_MAX_PIXELS, AUTODL_UPLOAD_THREADS, AUTODL_TEST_HOOKS', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.datasetMaxPixels, 2 ** 25);
  assert.equal(defaults.uploadThreads, 2);
  assert.equal(defaults.testHooks, false);
  assert.equal(workerEnv(defaults).AUTODL_TEST_HOOKS, undefined);

  const set = loadConfig({
    AUTODL_DATASET_MAX_PIXELS: '1000000',
    AUTODL_UPLOAD_THREADS: '4',
    AUTODL_TEST_HOOKS: '1',
  });
  assert.deepEqual([set.datasetMaxPixels, set.uploadThreads, set.testHooks], [1_000_000, 4, true]);
  // Workers re-validate stored specs, so they must share the setting.
  assert.equal(workerEnv(set).AUTODL_TEST_HOOKS, '1');

  for (const [variable, value] of [
    ['AUTODL_DATASET_MAX_PIXELS', '0'],
    ['AUTODL_DATASET_MAX_PIXELS', '1e9'],
    ['AUTODL_UPLOAD_THREADS', '0'],
    ['AUTODL_TEST_HOOKS', 'yes'],
  ]) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (e: ConfigError) => e instanceof ConfigError && e.variable === variable,
      `${variable}=${value}`,
    );
  }
});

test('AUTODL_TRAIN_THREADS: auto by default, a whole number >= 1, passed on to workers', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.trainThreads, 'auto');
  assert.equal(workerEnv(defaults).AUTODL_TRAIN_THREADS, 'auto');
  const two = loadConfig({ AUTODL_TRAIN_THREADS: '2' });
  assert.equal(two.trainThreads, 2);
  assert.equal(workerEnv(two).AUTODL_TRAIN_THREADS, '2');
  for (const value of ['0', 'two', '1.5']) {
    assert.throws(
      () => loadConfig({ AUTODL_TRAIN_THREADS: value }),
      (e: ConfigError) => e instanceof ConfigError && e.variable === 'AUTODL_TRAIN_THREADS',
      value,
    );
  }
});
