import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson } from '../api/client';
import { EChart } from '../charts/echart';
import { shownConfigs, tuningParetoOption } from '../charts/options/shared';
import { isFinished } from '../api/types';
import { JobActions } from '../components/job-actions';
import { ProgressBar } from '../components/progress';
import type { ConfigEvaluation, SimJob, TuneResult } from './simulations-types';
import { TableScroll } from '../components/table-scroll';

const fmt = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : '∞');
const same = (a: ConfigEvaluation | null, b: ConfigEvaluation) =>
  a !== null && JSON.stringify(a.params) === JSON.stringify(b.params);

/** The SLO the request asked for, when the objective is constrained (min-cost). */
function sloOf(request: Record<string, unknown>, r: TuneResult): number | undefined {
  const slo = request.slo as { p99Ms?: unknown } | undefined;
  return r.objective === 'min-cost' && typeof slo?.p99Ms === 'number' ? slo.p99Ms : undefined;
}

function ConfigsTable({ r }: { r: TuneResult }) {
  const params = Object.keys(r.history[0]?.params ?? {});
  return (
    <TableScroll label="Configurations tried, scrolls sideways">
      <table aria-label="Configurations tried">
        <thead>
          <tr>
            <th scope="col">Trial</th>
            {params.map((p) => (
              <th key={p} scope="col">
                {p}
              </th>
            ))}
            <th scope="col">Cost</th>
            <th scope="col">p99 (ms)</th>
            <th scope="col">Drop rate</th>
            <th scope="col">Feasible</th>
          </tr>
        </thead>
        <tbody>
          {r.history.map((h) => (
            <tr key={h.trial} aria-current={same(r.best, h) ? 'true' : undefined}>
              <th scope="row">
                {h.trial}
                {same(r.best, h) ? ' (chosen)' : ''}
              </th>
              {params.map((p) => (
                <td key={p}>{h.params[p]}</td>
              ))}
              <td>{fmt(h.cost)}</td>
              <td>{fmt(h.p99Ms)}</td>
              <td>{fmt(h.dropRate)}</td>
              <td>{h.unstable ? 'unstable' : h.feasible ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** One tuning: cost vs p99 Pareto front with the SLO line and the chosen config, configs tried. */
export default function TuningPage() {
  const { id = '' } = useParams();
  const tuning = useQuery({
    queryKey: ['tuning', id],
    queryFn: ({ signal }) => getJson<SimJob<TuneResult>>(`/v1/tunings/${id}`, signal),
    refetchInterval: (q) => (q.state.data && !isFinished(q.state.data.status) ? 1_000 : false),
  });
  const client = useQueryClient();
  const r = tuning.data?.result ?? null;
  const data = useMemo(
    () =>
      r &&
      tuning.data && {
        history: r.history,
        front: r.paretoFront,
        chosen: r.best,
        sloMs: sloOf(tuning.data.request, r),
      },
    [r, tuning.data],
  );
  const option = useMemo(() => data && tuningParetoOption(data), [data]);
  return (
    <section>
      <p>
        <Link to="/simulations">Simulations and tunings</Link>
      </p>
      <h1>Tuning {id.slice(0, 8)}</h1>
      {tuning.error && <p role="alert">{tuning.error.message}</p>}
      {tuning.data && (
        <p>
          Status <span className={`status status-${tuning.data.status}`}>{tuning.data.status}</span>{' '}
          <ProgressBar value={tuning.data.progress} label="tuning progress" />
          {tuning.data.error && <span role="alert"> {tuning.data.error}</span>}
        </p>
      )}
      {tuning.data && (
        <JobActions
          job={tuning.data}
          noun="tuning"
          onChange={() => void client.invalidateQueries({ queryKey: ['tuning', id] })}
        />
      )}
      {r && data && option && (
        <>
          <p>
            {r.trials} trials ({r.sampler}), {r.simulations} simulations.{' '}
            {r.best
              ? `Chosen: cost ${fmt(r.best.cost)}, p99 ${fmt(r.best.p99Ms)} ms` +
                (r.savingVsCurrent !== null
                  ? `, ${(r.savingVsCurrent * 100).toFixed(1)}% cheaper than the current config (cost ${fmt(r.current.cost)}).`
                  : '.')
              : 'No configuration met the SLO.'}
          </p>
          <div
            data-chart="tuning-pareto"
            data-points={shownConfigs(data).shown.length}
            data-front={r.paretoFront.length}
          >
            <EChart
              option={option}
              height={400}
              label={`Cost vs p99 latency of ${r.history.length} configurations, Pareto front of ${r.paretoFront.length}`}
            />
          </div>
          <h2>Configurations tried</h2>
          <ConfigsTable r={r} />
        </>
      )}
    </section>
  );
}
