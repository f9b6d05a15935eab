/**
 * The Indexed Job rule (docs/deploy.md): one Job cannot span namespaces nor have two pod
 * templates, so sites sharing (namespace, nodeSelector) form one group, one Indexed Job per
 * round; a site without placement is a pool job of its own.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { placementGroups } from './pooled-placement';

describe('placementGroups', () => {
  test('groups by namespace and nodeSelector (key order irrelevant), in spec order; pool sites alone', () => {
    const groups = placementGroups([
      {
        name: 'a1',
        samples: 1,
        placement: { namespace: 'site-a', nodeSelector: { x: '1', y: '2' } },
      },
      { name: 'p', samples: 1, placement: null },
      { name: 'b1', samples: 1, placement: { namespace: 'site-b' } },
      {
        name: 'a2',
        samples: 1,
        placement: { namespace: 'site-a', nodeSelector: { y: '2', x: '1' } },
      },
      { name: 'a3', samples: 1, placement: { namespace: 'site-a', nodeSelector: { x: 'other' } } },
      { name: 'b2', samples: 1, placement: { namespace: 'site-b', nodeSelector: {} } },
      { name: 'q', samples: 1, placement: null },
    ]);
    assert.deepEqual(
      groups.map((g) => [g.key, g.sites, g.placement?.namespace ?? null]),
      [
        ['ns-site-a-0', ['a1', 'a2'], 'site-a'],
        ['pool-p', ['p'], null],
        ['ns-site-b-0', ['b1', 'b2'], 'site-b'],
        ['ns-site-a-1', ['a3'], 'site-a'],
        ['pool-q', ['q'], null],
      ],
    );
    assert.deepEqual(groups[0].placement?.nodeSelector, { x: '1', y: '2' });
  });
});
