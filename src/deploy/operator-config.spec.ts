import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../platform/config/app-config';
import { loadOperatorConfig, OPERATOR_CONFIG_SECTION } from './operator-config';

describe('operator configuration (AUTODL_K8S_OPERATOR*)', () => {
  test('on by default, watching the executor namespace (empty list), resync 2 s', () => {
    assert.deepEqual(loadOperatorConfig({}), { namespaces: [], resyncMs: 2000 });
  });

  test('off, namespaces (deduplicated), resync', () => {
    assert.equal(loadOperatorConfig({ AUTODL_K8S_OPERATOR: 'false' }), null);
    assert.deepEqual(
      loadOperatorConfig({
        AUTODL_K8S_OPERATOR_NAMESPACES: 'team-a, team-b,team-a',
        AUTODL_K8S_OPERATOR_RESYNC_MS: '500',
      }),
      { namespaces: ['team-a', 'team-b'], resyncMs: 500 },
    );
  });

  test('a bad value names its variable', () => {
    for (const [variable, value] of [
      ['AUTODL_K8S_OPERATOR', 'yes'],
      ['AUTODL_K8S_OPERATOR_NAMESPACES', 'Team_A'],
      ['AUTODL_K8S_OPERATOR_RESYNC_MS', '10'],
    ])
      assert.throws(
        () => loadOperatorConfig({ [variable]: value }),
        (e: unknown) => e instanceof ConfigError && e.variable === variable,
      );
  });

  test('only with the Kubernetes executor', () => {
    const platform = (executor: string) =>
      ({ executor }) as unknown as Parameters<typeof OPERATOR_CONFIG_SECTION.load>[1];
    assert.equal(OPERATOR_CONFIG_SECTION.load({}, platform('local')), null);
    assert.deepEqual(OPERATOR_CONFIG_SECTION.load({}, platform('kubernetes')), {
      namespaces: [],
      resyncMs: 2000,
    });
  });
});
