import type { EChartsOption } from 'echarts';

export interface ParallelData {
  params: Record<string, { type: string; choices?: unknown[]; log?: boolean }>;
  trials: {
    number: number;
    values: number[];
    top: boolean;
    params: Record<string, unknown> | null;
  }[];
}

/** One axis per parameter plus the objective; the best trials drawn on top in a strong colour. */
export function parallelOption(d: ParallelData, objective = 'objective'): EChartsOption {
  const names = Object.keys(d.params);
  const axes = names.map((name, dim) => {
    const p = d.params[name];
    return p.type === 'categorical'
      ? { dim, name, type: 'category' as const, data: (p.choices ?? []).map(String) }
      : { dim, name, type: (p.log ? 'log' : 'value') as 'log' | 'value' };
  });
  // Categorical values go on a category axis by name; numbers as they are; missing as null.
  const cell = (n: string, v: unknown): string | number | null =>
    d.params[n].type === 'categorical' ? String(v) : typeof v === 'number' ? v : null;
  const row = (t: ParallelData['trials'][number]) => [
    ...names.map((n) => cell(n, t.params?.[n])),
    t.values[0],
  ];
  return {
    animation: false,
    parallelAxis: [...axes, { dim: names.length, name: objective, type: 'value', scale: true }],
    series: [
      {
        name: 'sample',
        type: 'parallel',
        lineStyle: { opacity: 0.25, color: '#9ab' },
        data: d.trials.filter((t) => !t.top).map(row),
      },
      {
        name: 'best',
        type: 'parallel',
        lineStyle: { opacity: 0.8, color: '#c23531' },
        data: d.trials.filter((t) => t.top).map(row),
      },
    ],
  };
}
