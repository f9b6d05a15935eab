import type { EChartsOption } from 'echarts';
import { AT_EDGE } from './axes';

export interface IntermediateTrial {
  number: number;
  state: string;
  steps: [number, number][];
}

/** Learning curves; pruned trials dashed and grey, so early stops are visible at a glance. */
export function intermediateOption(trials: IntermediateTrial[]): EChartsOption {
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', name: 'step', ...AT_EDGE },
    yAxis: { type: 'value', name: 'intermediate value', scale: true, ...AT_EDGE },
    series: trials.map((t) => ({
      name: `trial ${t.number}${t.state === 'pruned' ? ' (pruned)' : ''}`,
      type: 'line',
      showSymbol: false,
      lineStyle: t.state === 'pruned' ? { type: 'dashed', color: '#999' } : { type: 'solid' },
      data: t.steps,
    })),
  };
}
