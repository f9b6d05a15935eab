import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSites } from './splitters';

const labels = Array.from({ length: 1000 }, (_, i) => i % 10);

function assertPartition(parts: number[][], n: number): void {
  const all = parts.flat().sort((a, b) => a - b);
  assert.deepEqual(all, [...Array(n).keys()]);
}

/** Mean over sites of the share of the site's most frequent class (0.1 when balanced). */
function skew(parts: number[][]): number {
  return (
    parts
      .map((p) => {
        const counts = new Map<number, number>();
        for (const i of p) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
        return Math.max(...counts.values()) / p.length;
      })
      .reduce((a, b) => a + b, 0) / parts.length
  );
}

describe('site splitters (seeded)', () => {
  test('iid: a partition, sizes within one of each other, reproducible', () => {
    const parts = splitSites(labels, 3, { kind: 'iid' }, 1);
    assertPartition(parts, 1000);
    assert.deepEqual(
      parts.map((p) => p.length),
      [334, 333, 333],
    );
    assert.deepEqual(parts, splitSites(labels, 3, { kind: 'iid' }, 1));
    assert.notDeepEqual(parts, splitSites(labels, 3, { kind: 'iid' }, 2));
  });

  test('dirichlet: a partition; alpha 0.1 skews labels far more than alpha 100 (Hsu et al. 2019)', () => {
    const strong = splitSites(labels, 4, { kind: 'dirichlet', alpha: 0.1 }, 5);
    const weak = splitSites(labels, 4, { kind: 'dirichlet', alpha: 100 }, 5);
    assertPartition(strong, 1000);
    assertPartition(weak, 1000);
    assert.ok(skew(strong) > 0.25, `alpha 0.1 skew ${skew(strong)}`);
    assert.ok(skew(weak) < 0.16, `alpha 100 skew ${skew(weak)}`);
    assert.deepEqual(strong, splitSites(labels, 4, { kind: 'dirichlet', alpha: 0.1 }, 5));
  });

  test('classes: disjoint class subsets covering every class', () => {
    const parts = splitSites(labels, 3, { kind: 'classes' }, 9);
    assertPartition(parts, 1000);
    const classSets = parts.map((p) => new Set(p.map((i) => labels[i])));
    assert.deepEqual(classSets.map((s) => s.size).sort(), [3, 3, 4]);
    for (let a = 0; a < 3; a++)
      for (let b = a + 1; b < 3; b++) for (const c of classSets[a]) assert.ok(!classSets[b].has(c));
    assert.throws(() => splitSites(labels, 11, { kind: 'classes' }, 1), /classes/);
  });
});
