import { useMemo } from 'react';
import { useQueries } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { getJson } from '../api/client';
import type { StudySummary } from '../api/studies';
import { EChart } from '../charts/echart';
import { edfOption } from '../charts/options/edf';
import type { HistoryData } from '../charts/options/history';
import type { EChartsOption } from 'echarts';

interface Compared {
  summary: StudySummary;
  history: HistoryData;
  edf: { points: { v: number; p: number }[] };
}

/** Two or more studies: best-so-far curves overlaid, and their EDFs. */
export default function StudiesComparePage() {
  const [params] = useSearchParams();
  const ids = (params.get('ids') ?? '').split(',').filter(Boolean).slice(0, 8);
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['study-compare', id],
      queryFn: async ({ signal }: { signal: AbortSignal }): Promise<Compared> => ({
        summary: await getJson<StudySummary>(`/v1/studies/${id}/summary`, signal),
        history: await getJson<HistoryData>(`/v1/studies/${id}/history?points=300`, signal),
        edf: await getJson<{ points: { v: number; p: number }[] }>(
          `/v1/studies/${id}/edf?points=200`,
          signal,
        ),
      }),
    })),
  });
  const loaded = results.flatMap((r) => (r.data ? [r.data] : []));
  const history = useMemo<EChartsOption>(
    () => ({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { data: loaded.map((c) => c.summary.name) },
      xAxis: { type: 'value', name: 'trial' },
      yAxis: { type: 'value', name: 'best so far', scale: true },
      series: loaded.map((c) => ({
        name: c.summary.name,
        type: 'line',
        step: 'end',
        showSymbol: false,
        data: c.history.best.map((p) => [p.number, p.value]),
      })),
    }),
    [loaded],
  );
  return (
    <section>
      <p>
        <Link to="/studies">Studies</Link>
      </p>
      <h1>Compare studies</h1>
      {ids.length < 2 && <p>Select two or more studies in the list.</p>}
      {results.some((r) => r.error) && <p role="alert">Some studies could not be loaded.</p>}
      <h2>Best so far</h2>
      <EChart option={history} label="best-so-far curves of the compared studies" />
      <h2>Empirical distribution</h2>
      <EChart
        option={edfOption(loaded.map((c) => ({ name: c.summary.name, points: c.edf.points })))}
        label="empirical distribution functions of the compared studies"
      />
    </section>
  );
}
