import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, workerEnv } from '../config/app-config';
import { loadTrialSandboxConfig } from './sandbox-config';

test('trial sandbox config: defaults, worker round trip, and errors naming the variable', () => {
  const d = loadTrialSandboxConfig({});
  assert.equal(d.user, 'nobody');
  assert.equal(d.timeoutS, 86400);
  const c = loadConfig({ AUTODL_TRIAL_USER: '1234:1234', AUTODL_TRIAL_MEMORY_MB: '2048' });
  assert.equal(c.trialSandbox.limits.addressSpaceBytes, 2048 * 1024 * 1024);
  assert.deepEqual(loadConfig(workerEnv(c)).trialSandbox, c.trialSandbox);
  for (const [name, value] of [
    ['AUTODL_TRIAL_USER', 'root'],
    ['AUTODL_TRIAL_USER', '0:0'],
    ['AUTODL_TRIAL_USER', 'a b'],
    ['AUTODL_TRIAL_DIR', 'relative/dir'],
    ['AUTODL_TRIAL_CPU_S', '0'],
    ['AUTODL_TRIAL_TIMEOUT_S', '99999999'],
  ])
    assert.throws(
      () => loadConfig({ [name]: value }),
      (e: unknown) => e instanceof ConfigError && e.variable === name,
    );
});
