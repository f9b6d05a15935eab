import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson } from '../api/client';
import { EChart } from '../charts/echart';
import {
  barsHeight,
  barsOption,
  latencyCdfOption,
  latencyCdfPoints,
} from '../charts/options/shared';
import { isFinished } from '../api/types';
import { JobActions } from '../components/job-actions';
import { ProgressBar } from '../components/progress';
import type { SimJob, SimulationResult } from './simulations-types';

const fmt = (v: number, digits = 3) => String(Number(v.toPrecision(digits)));

function Percentiles({ r }: { r: SimulationResult }) {
  const rows: [string, number][] = [
    ['mean', r.latencyMs.mean],
    ['p50', r.latencyMs.p50],
    ['p90', r.latencyMs.p90],
    ['p99', r.latencyMs.p99],
    ['p99.9', r.latencyMs.p999],
    ['max', r.latencyMs.max],
  ];
  return (
    <table aria-label="Latency percentiles (ms)">
      <thead>
        <tr>
          {rows.map(([n]) => (
            <th key={n} scope="col">
              {n}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <tr>
          {rows.map(([n, v]) => (
            <td key={n}>{fmt(v)} ms</td>
          ))}
        </tr>
      </tbody>
    </table>
  );
}

function Stages({ r }: { r: SimulationResult }) {
  return (
    <table aria-label="Per-stage utilisation and queueing">
      <thead>
        <tr>
          <th scope="col">Stage</th>
          <th scope="col">Instances</th>
          <th scope="col">Utilisation</th>
          <th scope="col">Predicted (M/M/c)</th>
          <th scope="col">Mean queue</th>
          <th scope="col">Max queue</th>
          <th scope="col">Mean wait (ms)</th>
          <th scope="col">Waited</th>
          <th scope="col">Dropped</th>
        </tr>
      </thead>
      <tbody>
        {r.stages.map((s) => (
          <tr key={s.id}>
            <th scope="row">{s.id}</th>
            <td>{s.instances}</td>
            <td>{(s.utilisation * 100).toFixed(1)}%</td>
            <td>{(s.predictedUtilisation * 100).toFixed(1)}%</td>
            <td>{fmt(s.meanQueueLength)}</td>
            <td>{s.maxQueueLength}</td>
            <td>{fmt(s.meanWaitMs)}</td>
            <td>{(s.waitedFraction * 100).toFixed(1)}%</td>
            <td>{s.dropped}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One simulation: latency CDF and percentiles, per-stage utilisation and queueing. */
export default function SimulationPage() {
  const { id = '' } = useParams();
  const sim = useQuery({
    queryKey: ['simulation', id],
    queryFn: ({ signal }) => getJson<SimJob<SimulationResult>>(`/v1/simulations/${id}`, signal),
    refetchInterval: (q) => (q.state.data && !isFinished(q.state.data.status) ? 1_000 : false),
  });
  const client = useQueryClient();
  const r = sim.data?.result ?? null;
  const cdf = useMemo(
    () =>
      r &&
      latencyCdfOption({
        pipeline: r.pipeline,
        edgesMs: r.latencyHistogram.edgesMs,
        counts: r.latencyHistogram.counts,
        p99Ms: r.latencyMs.p99,
      }),
    [r],
  );
  const util = useMemo(
    () =>
      r &&
      barsOption({
        title: 'Utilisation per stage',
        labels: r.stages.map((s) => s.id),
        values: r.stages.map((s) => s.utilisation),
        valueLabel: 'busy fraction of instances',
      }),
    [r],
  );
  return (
    <section>
      <p>
        <Link to="/simulations">Simulations</Link>
      </p>
      <h1>Simulation {id.slice(0, 8)}</h1>
      {sim.error && <p role="alert">{sim.error.message}</p>}
      {sim.data && (
        <p>
          Status <span className={`status status-${sim.data.status}`}>{sim.data.status}</span>{' '}
          <ProgressBar value={sim.data.progress} label="simulation progress" />
          {sim.data.error && <span role="alert"> {sim.data.error}</span>}
        </p>
      )}
      {sim.data && (
        <JobActions
          job={sim.data}
          noun="simulation"
          onChange={() => void client.invalidateQueries({ queryKey: ['simulation', id] })}
        />
      )}
      {r && cdf && util && (
        <>
          <p>
            {r.pipeline}: {r.latencyMs.count} requests, {fmt(r.throughputRps)} req/s,{' '}
            {r.cost.instances} instances, {fmt(r.cost.perHour)} per hour.
          </p>
          <h2>Latency</h2>
          <Percentiles r={r} />
          <div
            data-chart="latency-cdf"
            data-points={
              latencyCdfPoints({
                ...r.latencyHistogram,
                pipeline: r.pipeline,
                p99Ms: r.latencyMs.p99,
              }).length
            }
          >
            <EChart
              option={cdf}
              height={360}
              label={`Latency CDF of ${r.pipeline}, p99 ${fmt(r.latencyMs.p99)} ms`}
            />
          </div>
          <h2>Stages</h2>
          <EChart
            option={util}
            height={barsHeight(r.stages.length)}
            label="Utilisation per stage"
          />
          <Stages r={r} />
        </>
      )}
    </section>
  );
}
