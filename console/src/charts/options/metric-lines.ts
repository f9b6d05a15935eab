// Job metrics as line charts: one series per metric name, step on x. DOM-free (unit-tested).
import type { EChartsOption } from 'echarts';

export interface MetricSample {
  name: string;
  step: number;
  value: number;
}

/** Groups points by metric name, each series sorted by step (a re-reported step keeps its last value). */
export function seriesByName(points: readonly MetricSample[]): Map<string, [number, number][]> {
  const byName = new Map<string, Map<number, number>>();
  for (const p of points) {
    let steps = byName.get(p.name);
    if (!steps) byName.set(p.name, (steps = new Map()));
    steps.set(p.step, p.value);
  }
  const out = new Map<string, [number, number][]>();
  for (const name of [...byName.keys()].sort()) {
    const steps = byName.get(name)!;
    out.set(
      name,
      [...steps.entries()].sort((a, b) => a[0] - b[0]),
    );
  }
  return out;
}

/**
 * A metric reported at one step only is a value, not a curve: a simulation's throughput, a
 * tuning's best cost. The job page lists those in a table and draws charts for the rest only
 * (a chart of one dot at step 0 said nothing the number does not).
 */
export function splitSingleSteps(series: ReadonlyMap<string, [number, number][]>): {
  curves: Map<string, [number, number][]>;
  values: MetricSample[];
} {
  const curves = new Map<string, [number, number][]>();
  const values: MetricSample[] = [];
  for (const [name, data] of series)
    if (data.length === 1) values.push({ name, step: data[0][0], value: data[0][1] });
    else curves.set(name, data);
  return { curves, values };
}

export function metricLinesOption(name: string, data: [number, number][]): EChartsOption {
  return {
    animation: false,
    title: { text: name, left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 56, right: 16, top: 36, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: { type: 'value', scale: true },
    series: [
      {
        type: 'line',
        name,
        data,
        showSymbol: data.length <= 50,
        sampling: 'lttb',
      },
    ],
  };
}
