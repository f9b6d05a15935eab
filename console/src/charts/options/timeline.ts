import type { EChartsOption } from 'echarts';

export interface TimelineTrial {
  number: number;
  state: string;
  startedAt: string;
  finishedAt: string | null;
}

const COLOURS: Record<string, string> = {
  complete: '#3a7',
  pruned: '#e90',
  failed: '#c33',
  running: '#39c',
};

/** One horizontal bar per trial from start to finish (running ones up to `now`), coloured by state. */
export function timelineOption(trials: TimelineTrial[], now: number): EChartsOption {
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: 'trial', inverse: true, scale: true },
    series: Object.keys(COLOURS).map((state) => ({
      name: state,
      type: 'line',
      connectNulls: false,
      showSymbol: false,
      lineStyle: { width: 3, color: COLOURS[state] },
      // A bar is two points followed by a gap (null breaks the line).
      data: trials
        .filter((t) => t.state === state)
        .flatMap((t) => [
          [Date.parse(t.startedAt), t.number],
          [t.finishedAt ? Date.parse(t.finishedAt) : now, t.number],
          [null, null],
        ]),
    })),
  };
}
