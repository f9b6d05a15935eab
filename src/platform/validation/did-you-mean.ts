/**
 * "Did you mean" for a misspelt name: the allowed name nearest by optimal string alignment
 * distance (Levenshtein plus adjacent transpositions, so `bacth` is one edit from `batch`), when
 * it is close enough to be a typo: at most one edit per three characters of the longer name
 * (and at least one edit). Ties go to the first candidate, so the answer is deterministic.
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    const limit = Math.max(1, Math.floor(Math.max(w.length, c.length) / 3));
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance (Damerau 1964 restricted: no substring edited twice). */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  // Three rows suffice: the transposition looks two rows back.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}
