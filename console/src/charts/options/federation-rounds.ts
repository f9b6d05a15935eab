// A federation's accuracy per round: the global model on the sites' test splits, and each site's
// own model (after its local epochs, before averaging) on its own test split; against rounds, or
// against the bytes exchanged so far (the bandwidth view of Xu et al.'s enlarged period: the same
// accuracy for fewer bytes). DOM-free (unit-tested).
import type { EChartsOption, LineSeriesOption } from 'echarts';
import type { FederationRound } from '../../api/federations';
import { AT_EDGE } from './axes';

export type RoundsAxis = 'round' | 'bytes';

const MB = 1024 * 1024;

/** [x, accuracy] per round that has one: x the 1-based round, or MiB exchanged up to its end. */
export function roundSeries(
  rounds: readonly FederationRound[],
  axis: RoundsAxis,
): { global: [number, number][]; sites: Map<string, [number, number][]> } {
  const sorted = [...rounds].sort((a, b) => a.round - b.round);
  const global: [number, number][] = [];
  const sites = new Map<string, [number, number][]>();
  let bytes = 0;
  for (const r of sorted) {
    bytes += r.bytesUp + r.bytesDown;
    const x = axis === 'round' ? r.round + 1 : bytes / MB;
    if (r.globalAccuracy !== null) global.push([x, r.globalAccuracy]);
    for (const s of r.sites) {
      if (s.localAccuracy === null) continue;
      let line = sites.get(s.site);
      if (!line) sites.set(s.site, (line = []));
      line.push([x, s.localAccuracy]);
    }
  }
  return { global, sites };
}

/**
 * `globalName` names the thick line: the global model, or (codistill, which has none: sites
 * exchange predictions) the mean of the sites' own models that the API reports in its place.
 */
export function federationRoundsOption(
  rounds: readonly FederationRound[],
  axis: RoundsAxis,
  globalName = 'global model',
): EChartsOption {
  const { global, sites } = roundSeries(rounds, axis);
  const series: LineSeriesOption[] = [
    { type: 'line', name: globalName, data: global, lineStyle: { width: 3 }, z: 3 },
    ...[...sites.keys()].sort().map((site): LineSeriesOption => ({
      type: 'line',
      name: `site ${site}`,
      data: sites.get(site),
      lineStyle: { type: 'dashed', width: 1 },
      symbolSize: 4,
    })),
  ];
  for (const s of series) s.showSymbol = (s.data?.length ?? 0) <= 50;
  return {
    animation: false,
    grid: { left: 56, right: 24, top: 48, bottom: 44 },
    legend: { top: 0, type: 'scroll' },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v) => (typeof v === 'number' ? v.toFixed(4) : ''),
    },
    xAxis: {
      type: 'value',
      name: axis === 'round' ? 'round' : 'MiB exchanged',
      nameLocation: 'middle',
      nameGap: 26,
      // Rounds count from 1: an axis from 0 left an empty first column.
      ...(axis === 'round' ? { minInterval: 1, min: 1 } : {}),
      scale: axis === 'bytes',
      ...AT_EDGE,
    },
    yAxis: { type: 'value', name: 'test accuracy', scale: true, ...AT_EDGE },
    series,
  };
}
