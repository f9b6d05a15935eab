import type { EChartsOption } from 'echarts';

/** GET /v1/studies/:id/contour: best objective per grid cell over two parameters. */
export interface ContourData {
  x: { name: string; ticks: unknown[] };
  y: { name: string; ticks: unknown[] };
  direction: 'minimize' | 'maximize';
  cells: { x: number; y: number; n: number; value: number }[];
}

const label = (v: unknown) =>
  typeof v === 'number' ? Number(v.toPrecision(3)).toString() : String(v);

export function contourOption(d: ContourData): EChartsOption {
  const values = d.cells.map((c) => c.value);
  return {
    animation: false,
    tooltip: { position: 'top' },
    // The name under the axis, not at its right end, where the colour scale's low label is.
    xAxis: {
      type: 'category',
      name: d.x.name,
      nameLocation: 'middle',
      nameGap: 28,
      data: d.x.ticks.map(label),
    },
    yAxis: { type: 'category', name: d.y.name, data: d.y.ticks.map(label) },
    visualMap: {
      min: values.length ? Math.min(...values) : 0,
      max: values.length ? Math.max(...values) : 1,
      calculable: true,
      orient: 'vertical',
      right: 0,
      top: 'center',
      // Better values darker whatever the direction.
      inRange: {
        color: d.direction === 'minimize' ? ['#08306b', '#f7fbff'] : ['#f7fbff', '#08306b'],
      },
    },
    grid: { right: 90 },
    series: [{ type: 'heatmap', data: d.cells.map((c) => [c.x, c.y, c.value]) }],
  };
}
