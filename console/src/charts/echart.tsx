// The one React wrapper around ECharts: echarts is imported lazily (its own chunk), the chart
// follows its container's size, and every plot passes a pure option builder's result.
import { useEffect, useRef } from 'react';
import type { EChartsOption, ECharts } from 'echarts';

export function EChart({
  option,
  height = 260,
  label,
}: {
  option: EChartsOption;
  height?: number;
  /** What the chart shows, for screen readers. */
  label: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const latest = useRef(option);
  latest.current = option;

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    void import('echarts').then((echarts) => {
      if (disposed || !el.current) return;
      chart.current = echarts.init(el.current, null, { renderer: 'svg' });
      chart.current.setOption(latest.current);
      observer = new ResizeObserver(() => chart.current?.resize());
      observer.observe(el.current);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={el} role="img" aria-label={label} style={{ width: '100%', height }} />;
}
