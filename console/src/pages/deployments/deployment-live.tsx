// Live metrics of one deployment: headline numbers, throughput, latency, queue and batch sizes
// over the samples taken while the page is open, and drops by reason with their status codes.
import { useMemo } from 'react';
import type { Deployment } from '../../api/deployments';
import { EChart } from '../../charts/echart';
import {
  batchSizesOption,
  liveLatencyOption,
  liveQueueOption,
  liveThroughputOption,
} from '../../charts/options/serving';
import { batchSizeRows, DROP_STATUS, fmtMs, fmtRps, type LivePoint } from './deployment-view';

function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function LiveMetrics({ d, series }: { d: Deployment; series: readonly LivePoint[] }) {
  const m = d.status.metrics;
  const rows = useMemo(() => batchSizeRows(m?.batchSizes ?? {}), [m?.batchSizes]);
  const options = useMemo(
    () => ({
      throughput: liveThroughputOption(series),
      latency: liveLatencyOption(series),
      queue: liveQueueOption(series),
      batches: batchSizesOption(rows),
    }),
    [series, rows],
  );
  if (!m) {
    return (
      <p className="muted">
        {d.status.replicas
          ? `${d.status.replicas.ready} of ${d.status.replicas.desired} pods ready; each pod serves its own /metrics.`
          : 'No live metrics: the deployment is not running in this API process yet.'}
      </p>
    );
  }
  const last = series[series.length - 1];
  const served = last?.servedRps ?? d.status.rates?.servedRps;
  return (
    <>
      <dl className="kpis" aria-label="Live metrics">
        <Kpi label="req/s" value={fmtRps(served)} />
        <Kpi label="p50" value={m.latencyMs.count ? fmtMs(m.latencyMs.p50) : '—'} />
        <Kpi label="p95" value={m.latencyMs.count ? fmtMs(m.latencyMs.p95) : '—'} />
        <Kpi label="p99" value={m.latencyMs.count ? fmtMs(m.latencyMs.p99) : '—'} />
        <Kpi label="queue" value={String(m.queueLength)} />
        <Kpi label="busy instances" value={`${m.busyInstances} / ${m.instances}`} />
        <Kpi label="served" value={String(m.requests.served)} />
        <Kpi label="dropped" value={String(m.requests.dropped)} />
      </dl>
      <div className="charts">
        <EChart
          option={options.throughput}
          height={240}
          label="Requests per second, served and dropped"
          testId="live-throughput"
        />
        <EChart
          option={options.latency}
          height={240}
          label={`Latency p50, p95 and p99; p99 now ${fmtMs(m.latencyMs.p99)}`}
          testId="live-latency"
        />
        <EChart
          option={options.queue}
          height={240}
          label="Queue length and busy instances"
          testId="live-queue"
        />
        <EChart
          option={options.batches}
          height={240}
          label={`Batch sizes sent: ${rows.map(([b, n]) => `${n} of ${b}`).join(', ') || 'none yet'}`}
          testId="batch-sizes"
        />
      </div>
      <table aria-label="Dropped requests by reason">
        <thead>
          <tr>
            <th scope="col">Reason</th>
            <th scope="col">Answer</th>
            <th scope="col">Requests</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(m.drops).map(([reason, n]) => (
            <tr key={reason}>
              <th scope="row">{reason.replace('_', ' ')}</th>
              <td>{DROP_STATUS[reason] ?? '—'}</td>
              <td>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
