import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError } from '../client';
import { parseDuration, parseMs } from './deploy-loop';

test('deploy load/tune flags: durations and latencies with units, bad ones named', () => {
  assert.equal(parseDuration('30s', '--duration'), 30);
  assert.equal(parseDuration('2m', '--duration'), 120);
  assert.equal(parseDuration('500ms', '--duration'), 0.5);
  assert.equal(parseDuration('12', '--duration'), 12);
  assert.throws(() => parseDuration('30 sec', '--duration'), CliError);
  assert.throws(() => parseDuration('0s', '--duration'), /--duration must be > 0/);
  assert.equal(parseMs('50ms', '--p99'), 50);
  assert.equal(parseMs('0.2s', '--p99'), 200);
  assert.equal(parseMs('75', '--p99'), 75);
  assert.throws(() => parseMs('fast', '--p99'), /--p99 must be a latency like 50ms/);
});
