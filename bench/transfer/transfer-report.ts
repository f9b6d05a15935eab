/**
 * The tables of bench/transfer/transfer-quality.ts (issue 21's protocol): test accuracy per
 * method, paired differences with their standard error, what validation chose and how precisely.
 */

/** One (k, seed, method) cell: every alpha of the grid trained on the k-shot sample. */
export interface RunRecord {
  k: number;
  seed: number;
  method: string;
  /** The alpha chosen on the validation split. */
  alpha: number;
  /** The alphas tried (the grid; for dtnh+X the alpha chosen for X). */
  alphas: number[];
  /** Validation accuracy of each alpha tried, in that order. */
  validation: number[];
  /** Validation images (carved from the target's training pool, disjoint from the sample). */
  validationSize: number;
  /**
   * Standard error of the paired difference, on the validation images, between the chosen alpha
   * and the runner-up: how sure the choice is (absent with a single candidate).
   */
  selectionSe?: number;
  /** Test accuracy of the chosen alpha. */
  test: number;
  /** Test accuracy of every alpha (for the grid table only; never used to choose). */
  tests: number[];
  /** DTNH: mean share of steps whose penalty gradient conflicted with the task gradient. */
  conflictRate?: number;
  /** DELTA: the hooked layers. */
  hookLayers?: string[];
  /** Wall-clock of the grid; contention varies, so costs come from method-cost.ts. */
  seconds: number;
}

export const mean = (xs: ArrayLike<number>): number =>
  Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

export function meanStd(xs: number[]): { mean: number; std: number } {
  const m = mean(xs);
  const std =
    xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean: m, std };
}

export const pct = (v: number): string => (100 * v).toFixed(1);

/** Mean and standard error (std / sqrt(n)) of paired differences, in points. */
function pairedCell(d: number[]): string {
  const { mean: m, std } = meanStd(d);
  const se = d.length > 1 ? std / Math.sqrt(d.length) : NaN;
  return `${m >= 0 ? '+' : ''}${(100 * m).toFixed(2)} ± ${(100 * se).toFixed(2)}`;
}

/**
 * SE of the per-image difference between the chosen candidate's correctness and the runner-up's
 * on the same validation images (sd of the 0/±1 differences over sqrt(n)).
 */
export function selectionSe(correct: readonly Uint8Array[], best: number): number | undefined {
  if (correct.length < 2) return undefined;
  const acc = correct.map((c) => mean(c));
  const runnerUp = acc
    .map((a, i) => ({ a, i }))
    .filter(({ i }) => i !== best)
    .sort((x, y) => y.a - x.a)[0].i;
  const d = Array.from(correct[best], (v, i) => v - correct[runnerUp][i]);
  return meanStd(d).std / Math.sqrt(d.length);
}

const ORDER = ['scratch', 'l2', 'l2sp', 'delta', 'rifle', 'dtnh+l2sp', 'dtnh+delta'];

function byMethod(records: RunRecord[], k: number, method: string): Map<number, RunRecord> {
  return new Map(
    records.filter((r) => r.k === k && r.method === method).map((r) => [r.seed, r] as const),
  );
}

/** Paired differences `a - b` over the seeds both ran. */
function paired(a: Map<number, RunRecord>, b: Map<number, RunRecord>): number[] {
  return [...a].filter(([seed]) => b.has(seed)).map(([seed, r]) => r.test - b.get(seed)!.test);
}

const wins = (d: number[]): string => `${d.filter((v) => v > 1e-9).length}/${d.length}`;

/** Markdown tables over every stored record of one setting. */
export function report(records: RunRecord[], o: { setting: string; header: string }): string {
  const sizes = [...new Set(records.map((r) => r.k))].sort((a, b) => a - b);
  const methods = [...new Set(records.map((r) => r.method))].sort(
    (a, b) => ORDER.indexOf(a) - ORDER.indexOf(b),
  );
  const lines = [o.header, ''];
  lines.push(
    '| setting | k/class | method | seeds | test acc % (mean ± std) | − l2 (pp, mean ± SE) | wins | chosen alpha (per seed) | validation images, SE of acc (pp) | DTNH conflict steps % |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const k of sizes) {
    const l2 = byMethod(records, k, 'l2');
    for (const method of methods) {
      const runs = [...byMethod(records, k, method).values()].sort((a, b) => a.seed - b.seed);
      if (runs.length === 0) continue;
      const { mean: m, std } = meanStd(runs.map((r) => r.test));
      const d = method === 'l2' ? [] : paired(byMethod(records, k, method), l2);
      const v = mean(runs.map((r) => r.validationSize));
      const valAcc = mean(runs.map((r) => Math.max(...r.validation)));
      const valSe = Math.sqrt((valAcc * (1 - valAcc)) / v);
      const rates = runs.flatMap((r) => (r.conflictRate === undefined ? [] : [r.conflictRate]));
      lines.push(
        `| ${o.setting} | ${k} | ${method} | ${runs.length} | ${pct(m)} ± ${pct(std)} | ` +
          `${d.length ? pairedCell(d) : '-'} | ${d.length ? wins(d) : '-'} | ` +
          `${runs.map((r) => r.alpha).join(', ')} | ${v.toFixed(0)}, ${(100 * valSe).toFixed(2)} | ` +
          `${rates.length ? pct(mean(rates)) : '-'} |`,
      );
    }
  }
  lines.push('');
  lines.push('| setting | k/class | pair | paired seeds | diff (pp, mean ± SE) | wins |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const k of sizes) {
    for (const wrapped of ['delta', 'l2sp']) {
      const d = paired(byMethod(records, k, `dtnh+${wrapped}`), byMethod(records, k, wrapped));
      if (d.length === 0) continue;
      lines.push(
        `| ${o.setting} | ${k} | dtnh+${wrapped} − ${wrapped} | ${d.length} | ${pairedCell(d)} | ${wins(d)} |`,
      );
    }
  }
  lines.push('');
  lines.push(gridTable(records, sizes, methods, o.setting));
  return lines.join('\n');
}

/**
 * Mean validation and test accuracy of each grid value: how flat the selection landscape is and
 * what validation gave up against the (unusable) test-set oracle.
 */
function gridTable(
  records: RunRecord[],
  sizes: number[],
  methods: string[],
  setting: string,
): string {
  const lines = [
    '| setting | k/class | method | per alpha: validation / test acc % (mean over the seeds that tried it) | mean SE of the choice (pp) |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const k of sizes) {
    for (const method of methods) {
      const runs = records.filter((r) => r.k === k && r.method === method);
      if (runs.length === 0) continue;
      const alphas = [...new Set(runs.flatMap((r) => r.alphas))].sort((a, b) => a - b);
      const cells = alphas.map((a) => {
        const tried = runs.filter((r) => r.alphas.includes(a));
        const at = (r: RunRecord, xs: number[]): number => xs[r.alphas.indexOf(a)];
        return `${a}: ${pct(mean(tried.map((r) => at(r, r.validation))))} / ${pct(mean(tried.map((r) => at(r, r.tests))))} (${tried.length})`;
      });
      const ses = runs.flatMap((r) => (r.selectionSe === undefined ? [] : [r.selectionSe]));
      lines.push(
        `| ${setting} | ${k} | ${method} | ${cells.join('; ')} | ${ses.length ? (100 * mean(ses)).toFixed(2) : '-'} |`,
      );
    }
  }
  return lines.join('\n');
}
