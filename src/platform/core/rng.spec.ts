import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng';

const MASK64 = (1n << 64n) - 1n;

/** Reference PCG-XSH-RR 32 in BigInt arithmetic (O'Neill 2014, pcg32_random_r). */
function referencePcg(state: bigint, count: number): number[] {
  const out: number[] = [];
  let s = state;
  for (let i = 0; i < count; i++) {
    const old = s;
    s = (old * 6364136223846793005n + 1442695040888963407n) & MASK64;
    const xorshifted = Number(((old ^ (old >> 18n)) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    out.push(((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0);
  }
  return out;
}

test("Rng matches the reference PCG32 (O'Neill 2014) output function and LCG step", () => {
  const rng = new Rng(12345);
  // Rng burns two outputs in its constructor; recover its state from the seed mixing.
  const hi = BigInt((0 ^ 0x853c49e6) >>> 0);
  const lo = BigInt(((12345 >>> 0) ^ 0x748fea9b) >>> 0);
  const expected = referencePcg((hi << 32n) | lo, 12).slice(2);
  const got = Array.from({ length: 10 }, () => rng.uint32());
  assert.deepEqual(got, expected);
});

test('the same seed gives the same stream; forks are independent and reproducible', () => {
  const a = new Rng('study-1');
  const b = new Rng('study-1');
  assert.deepEqual(
    Array.from({ length: 5 }, () => a.float()),
    Array.from({ length: 5 }, () => b.float()),
  );
  assert.equal(new Rng(7).fork('x').float(), new Rng(7).fork('x').float());
  assert.notEqual(new Rng(7).fork('x').float(), new Rng(7).fork('y').float());
});

test('uniform floats have mean 1/2 and normals have mean 0, variance 1', () => {
  const rng = new Rng(1);
  const n = 50000;
  let sum = 0;
  let sumN = 0;
  let sumN2 = 0;
  for (let i = 0; i < n; i++) {
    sum += rng.float();
    const z = rng.normal();
    sumN += z;
    sumN2 += z * z;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  assert.ok(Math.abs(sumN / n) < 0.02);
  assert.ok(Math.abs(sumN2 / n - 1) < 0.03);
});

test('int() covers its inclusive range and rejects bad bounds', () => {
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(rng.int(-2, 2));
  assert.deepEqual(
    [...seen].sort((x, y) => x - y),
    [-2, -1, 0, 1, 2],
  );
  assert.throws(() => rng.int(3, 1), /low <= high/);
});
