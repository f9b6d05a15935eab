import { TrafficModel } from './traffic-model';

/**
 * Replay of a recorded trace of arrival timestamps (seconds, ascending). With `loop`, the trace
 * repeats with period = its last timestamp plus one mean gap, so a short trace can drive a long run.
 */
export class ReplayTraffic implements TrafficModel {
  private cursor = 0;
  private offset = 0;
  private readonly period: number;
  constructor(
    readonly timestampsS: readonly number[],
    readonly loop = false,
  ) {
    if (timestampsS.length < 2)
      throw new RangeError(`a trace needs at least 2 timestamps, got ${timestampsS.length}`);
    for (let i = 0; i < timestampsS.length; i++) {
      const t = timestampsS[i];
      if (!(t >= 0) || !Number.isFinite(t))
        throw new RangeError(`timestampsS[${i}] must be a finite number >= 0, got ${t}`);
      if (i > 0 && t < timestampsS[i - 1])
        throw new RangeError(
          `timestampsS must be ascending, but [${i}] = ${t} < [${i - 1}] = ${timestampsS[i - 1]}`,
        );
    }
    const n = timestampsS.length;
    this.period = timestampsS[n - 1] + (timestampsS[n - 1] - timestampsS[0]) / (n - 1);
  }
  next(): number {
    if (this.cursor === this.timestampsS.length) {
      if (!this.loop) return Infinity;
      this.cursor = 0;
      this.offset += this.period;
    }
    return this.offset + this.timestampsS[this.cursor++];
  }
  meanRate(): number {
    const ts = this.timestampsS;
    return (ts.length - 1) / Math.max(ts[ts.length - 1] - ts[0], 1e-12);
  }
}

/**
 * Parse a CSV of timestamps: the first column of every line that parses as a number; a header
 * line and blank lines are skipped. Throws a RangeError naming the first bad line.
 */
export function parseTraceCsv(text: string): number[] {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const cell = line.split(',')[0].trim();
    if (cell === '') return;
    const v = Number(cell);
    if (Number.isFinite(v)) out.push(v);
    else if (i > 0 || out.length > 0)
      throw new RangeError(`line ${i + 1}: ${JSON.stringify(cell)} is not a number`);
  });
  return out;
}
