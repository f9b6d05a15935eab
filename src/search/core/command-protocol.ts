/**
 * The trial command protocol (Katib's StdOut metrics collector, whose default filter is
 * `([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)`): a trial command prints `name=value` pairs
 * on its stdout, any number per line. A line that also carries `step=N` reports intermediate
 * values at step N (for pruning); the last value printed of each metric is its final value.
 * Pure: the trial-command job feeds it the process's output.
 */
import { ParamValue } from './distributions';
import { userRecord } from '../../platform/core/records';

export interface MetricLine {
  /** Set when the line carries `step=N` (a non-negative integer). */
  step?: number;
  metrics: Record<string, number>;
}

// Deviation from Katib: names may also contain '.', '/' (e.g. val/loss), and values may be
// inf / nan, so that a diverged run reports what it saw rather than nothing.
const PAIR =
  /(?:^|[\s,;{])([A-Za-z_][\w./-]*)\s*[=:]\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|Infinity|nan|NaN))(?=$|[\s,;}])/g;

/** The metric pairs of one line (null when it has none besides a step). */
export function parseMetricLine(line: string): MetricLine | null {
  // Metric names come from the trial's output: any name, __proto__ included, is a plain key.
  const metrics = userRecord<number>();
  let step: number | undefined;
  for (const m of line.matchAll(PAIR)) {
    const name = m[1];
    const raw = m[2].toLowerCase().replace('infinity', 'inf');
    const value = raw.endsWith('nan')
      ? NaN
      : raw.endsWith('inf')
        ? raw.startsWith('-')
          ? -Infinity
          : Infinity
        : Number(m[2]);
    if (name === 'step') {
      if (Number.isInteger(value) && value >= 0) step = value;
    } else metrics[name] = value;
  }
  if (Object.keys(metrics).length === 0) return null;
  return step === undefined ? { metrics } : { step, metrics };
}

/** Splits a byte stream into lines (a partial last line waits for the next chunk). */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    // A runaway line without newline must not grow without bound.
    if (this.rest.length > 65_536) {
      lines.push(this.rest);
      this.rest = '';
    }
    return lines;
  }

  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}

/** Last value of every metric printed so far. */
export class MetricCollector {
  readonly last = userRecord<number>();

  add(line: MetricLine): void {
    Object.assign(this.last, line.metrics);
  }
}

/**
 * `${name}` in an argument becomes the parameter's value; unknown names (e.g. an inactive
 * conditional parameter) are left as they are, and `$${name}` is a literal `${name}`.
 */
export function substituteArgs(
  argv: readonly string[],
  params: Record<string, ParamValue>,
): string[] {
  return argv.map((arg) =>
    arg.replace(/\$?\$\{([^}]+)\}/g, (whole, name: string) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    }),
  );
}

/** The last `maxBytes` of a text, cut at a line start when one is near. */
export function tail(text: string, maxBytes: number): string {
  if (text.length <= maxBytes) return text;
  const cut = text.slice(text.length - maxBytes);
  const nl = cut.indexOf('\n');
  return nl >= 0 && nl < 200 ? cut.slice(nl + 1) : cut;
}
