// One deployment: its config and endpoints, live metrics sampled every couple of seconds while the
// page is open, scaling and batching, the profile -> tune -> apply loop, and delete.
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { deploymentsApi } from '../../api/deployments';
import { useSession } from '../../auth/session';
import { forgetDeployment } from './deployment-cache';
import { ConfigPanel } from './deployment-config';
import { LiveMetrics } from './deployment-live';
import { LoopPanel } from './deployment-loop';
import { appendPoint, livePoint, type LiveCounters, type LivePoint } from './deployment-view';
import './deployments.css';

export const DETAIL_REFRESH_MS = 2_000;

function DeleteButton({ id, name }: { id: string; name: string }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState('');
  async function remove() {
    try {
      await deploymentsApi.remove(id);
      await forgetDeployment(client, id);
      navigate('/deployments');
    } catch (err) {
      setError((err as Error).message);
    }
  }
  if (!asking)
    return (
      <button type="button" onClick={() => setAsking(true)}>
        Delete deployment
      </button>
    );
  return (
    <div className="confirm" role="alertdialog" aria-labelledby="confirm-delete">
      <p id="confirm-delete">
        Delete <strong>{name}</strong>? It stops serving at once; waiting requests get a 503.
      </p>
      <div className="actions">
        <button type="button" onClick={() => void remove()}>
          Delete {name}
        </button>
        <button type="button" onClick={() => setAsking(false)} autoFocus>
          Cancel
        </button>
      </div>
      {error && <p role="alert">{error}</p>}
    </div>
  );
}

export default function DeploymentDetailPage() {
  const { id = '' } = useParams();
  const { canWrite } = useSession();
  const dep = useQuery({
    queryKey: ['deployment', id],
    queryFn: ({ signal }) => deploymentsApi.get(id, signal),
    refetchInterval: DETAIL_REFRESH_MS,
  });
  const [series, setSeries] = useState<LivePoint[]>([]);
  const counters = useRef<LiveCounters | null>(null);
  useEffect(() => {
    if (!dep.data) return;
    const next = livePoint(dep.data, dep.dataUpdatedAt, counters.current);
    if (!next) return;
    counters.current = next.counters;
    setSeries((s) => appendPoint(s, next.point));
  }, [dep.data, dep.dataUpdatedAt]);

  const d = dep.data;
  return (
    <section>
      <p>
        <Link to="/deployments">Deployments</Link>
      </p>
      <h1>Deployment {d?.name ?? id.slice(0, 8)}</h1>
      {dep.error && <p role="alert">{dep.error.message}</p>}
      {d && (
        <>
          <dl className="facts" aria-label="Deployment">
            <dt>Model</dt>
            <dd>
              <Link to={`/models/${d.model.id}`}>{d.model.name}</Link>
            </dd>
            <dt>Status</dt>
            <dd className={`state state-${d.status.state}`}>
              {d.status.state} (generation {d.status.generation} of {d.generation})
              {d.status.metrics ? `, ${d.status.metrics.backend}` : ''}
              {d.status.error ? `: ${d.status.error}` : ''}
            </dd>
            <dt>Config</dt>
            <dd>
              {d.instances} instance(s); batches up to {d.batch.maxSize}, waiting at most{' '}
              {d.batch.maxDelayMs} ms; queue of {d.queue.capacity}, timeout {d.queue.timeoutMs} ms
              {d.cutoff
                ? `; cut-off to a cheaper model above ${d.cutoff.queueThreshold} waiting`
                : ''}
            </dd>
            <dt>Predict</dt>
            <dd>
              <code>POST {d.endpoints.serve}</code> or <code>POST {d.endpoints.predict}</code>
            </dd>
          </dl>
          <h2>Live</h2>
          <LiveMetrics d={d} series={series} />
          <ConfigPanel d={d} canWrite={canWrite} />
          <LoopPanel d={d} canWrite={canWrite} />
          {canWrite && (
            <>
              <h2>Danger zone</h2>
              <DeleteButton id={d.id} name={d.name} />
            </>
          )}
        </>
      )}
    </section>
  );
}
