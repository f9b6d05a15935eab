/**
 * Closed-form references for the serving simulator's tests and benches (src/jizhi-sim), and the
 * relative-tolerance check they compare with.
 */
import assert from 'node:assert/strict';

/** Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda/mu. */
export function erlangC(c: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const top = term / (1 - a / c);
  return top / (sum + top);
}

/** `actual` within `rel` (relative) of `expected`; the message names `what`. */
export function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.abs(expected),
    `${what}: ${actual} vs ${expected} (tolerance ${rel * 100}%)`,
  );
}
