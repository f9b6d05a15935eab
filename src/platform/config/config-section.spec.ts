/** Capabilities' configuration sections: loaded once with the platform's, typed, named errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type HostFacts } from './app-config';
import { defineConfigSection } from './config-section';

const host: HostFacts = { stdoutIsTTY: false, packageRoot: '/nonexistent' };

const QUOTA = defineConfigSection<{ perProject: number } | null>({
  name: 'quota',
  load(env, platform) {
    if (platform.executor !== 'local') return null;
    const raw = env.AUTODL_TEST_QUOTA ?? '4';
    if (!/^\d+$/.test(raw))
      throw new ConfigError('AUTODL_TEST_QUOTA', `must be a whole number, got "${raw}"`);
    return { perProject: Number(raw) };
  },
});

const OTHER = defineConfigSection({ name: 'other', load: () => 1 });

test('a registered section is loaded with the platform settings and read back typed', () => {
  const config = loadConfig({ AUTODL_TEST_QUOTA: '7' }, host, [QUOTA]);
  assert.deepEqual(config.sections.get(QUOTA), { perProject: 7 });
  assert.equal(config.sections.has(OTHER), false);
  assert.equal(
    loadConfig({ AUTODL_EXECUTOR: 'kubernetes' }, host, [QUOTA]).sections.get(QUOTA),
    null,
    'a section may depend on the platform settings',
  );
});

test('an invalid section variable stops the load naming it; an unregistered section is a programming error', () => {
  assert.throws(
    () => loadConfig({ AUTODL_TEST_QUOTA: 'lots' }, host, [QUOTA]),
    (e: unknown) => e instanceof ConfigError && e.variable === 'AUTODL_TEST_QUOTA',
  );
  assert.throws(() => loadConfig({}, host).sections.get(QUOTA), /section "quota" was not loaded/);
});
