import { useEffect, useRef } from 'react';
import type { EChartsOption, EChartsType } from 'echarts';

/** Starts downloading the chart library (pages call it early, in parallel with their data). */
export function loadEcharts() {
  return import('./echarts-lib');
}

/** The chart element exposes its echarts instance so browser tests can read the plotted data. */
export interface ChartElement extends HTMLDivElement {
  chart?: EChartsType;
}

/**
 * The one React wrapper around echarts. echarts is imported lazily, so it lands in the chart
 * chunk only (pages without plots never download it). `label` names the figure for screen
 * readers; `summary` is the accessible text alternative (e.g. "12 trials, best 0.03").
 */
export function EChart({
  option,
  placeholder,
  label,
  summary,
  height = 320,
  testId,
  onRendered,
}: {
  option: EChartsOption | null;
  /**
   * Drawn while `option` is null (axes and legend without data): the frame shows early, and the
   * chart code the real draw runs is already warm (it then takes about half as long).
   */
  placeholder?: EChartsOption;
  label: string;
  summary?: string;
  height?: number;
  testId?: string;
  /** Called once the option has been drawn (e.g. to defer less important charts). */
  onRendered?: () => void;
}) {
  const el = useRef<ChartElement>(null);
  const onRenderedRef = useRef(onRendered);
  onRenderedRef.current = onRendered;
  useEffect(() => {
    let disposed = false;
    let chart: EChartsType | undefined;
    let observer: ResizeObserver | undefined;
    void loadEcharts().then((echarts) => {
      if (disposed || !el.current) return;
      // SVG: crisp at any zoom, text reachable by tests and tools; the server aggregates large
      // studies, so no chart draws enough marks for canvas to matter.
      chart = echarts.init(el.current, null, { renderer: 'svg' });
      el.current.chart = chart;
      observer = new ResizeObserver(() => chart?.resize());
      observer.observe(el.current);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chart?.dispose();
    };
  }, []);
  useEffect(() => {
    let stop = false;
    const apply = () => {
      if (stop) return;
      const chart = el.current?.chart;
      if (!chart) return void setTimeout(apply, 20);
      if (option) {
        chart.setOption(option, { notMerge: true });
        el.current?.setAttribute('data-rendered', 'true');
        onRenderedRef.current?.();
      } else if (placeholder) chart.setOption(placeholder, { notMerge: true });
    };
    apply();
    return () => {
      stop = true;
    };
  }, [option, placeholder]);
  return (
    <figure className="chart">
      <div
        ref={el}
        role="img"
        aria-label={label}
        data-testid={testId}
        style={{ height, width: '100%' }}
      />
      {summary && <figcaption>{summary}</figcaption>}
    </figure>
  );
}
