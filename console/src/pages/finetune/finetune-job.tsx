// A fine-tune run: status and progress, the training curves (loss and accuracy per epoch from the
// job's metrics, refreshed on live events), the registered model and, with recordDynamics, the
// suspected mislabels.
import { useCallback } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { getJson } from '../../api/client';
import { useEventStream } from '../../api/events';
import { isFinished, type Job } from '../../api/types';
import { EChart } from '../../charts/echart';
import { trainingCurvesOption, type MetricPoint } from '../../charts/options/training-curves';
import { JobActions } from '../../components/job-actions';
import { ProgressBar } from '../../components/progress';
import { Mislabels } from '../explain/mislabels';

const active = (j?: Job) => !!j && !isFinished(j.status);

export default function FinetuneJobPage() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: ({ signal }) => getJson<Job>(`/v1/jobs/${encodeURIComponent(id)}`, signal),
    // A slow refetch backs up the live stream (e.g. while it reconnects).
    refetchInterval: (q) => (active(q.state.data) ? 5_000 : false),
  });
  const metrics = useQuery({
    queryKey: ['job', id, 'metrics'],
    queryFn: ({ signal }) =>
      getJson<MetricPoint[]>(`/v1/jobs/${encodeURIComponent(id)}/metrics`, signal),
    refetchInterval: () => (active(job.data) ? 5_000 : false),
  });
  const onEvent = useCallback(() => {
    void client.invalidateQueries({ queryKey: ['job', id] });
  }, [client, id]);
  useEventStream(
    id && active(job.data) ? `/v1/events/stream?job=${encodeURIComponent(id)}` : null,
    onEvent,
  );
  const j = job.data;
  const result = (j?.result ?? null) as {
    modelId?: string;
    modelName?: string;
    method?: string;
    epochs?: number;
    testAccuracy?: number | null;
  } | null;
  return (
    <section>
      <h1>Fine-tune {id.slice(0, 8)}</h1>
      {job.error && <p role="alert">{job.error.message}</p>}
      {j && (
        <>
          <p>
            <code>{String(j.spec?.baseModel ?? '')}</code> on{' '}
            <code>{String(j.spec?.dataset ?? '')}</code> ·{' '}
            <span className={`status status-${j.status}`}>{j.status}</span>{' '}
            <ProgressBar value={j.progress} label="training progress" />
          </p>
          {j.error && <p role="alert">{j.error}</p>}
          <JobActions
            job={j}
            noun="fine-tune"
            onChange={(changed) => client.setQueryData(['job', id], changed)}
          />
          <h2>Training curves</h2>
          <EChart
            option={trainingCurvesOption(metrics.data ?? [])}
            label="Loss and accuracy per epoch"
            height={300}
          />
          {result?.modelId && (
            <p className="done">
              Registered model{' '}
              <Link to={`/models/${result.modelId}`}>{result.modelName ?? result.modelId}</Link> (
              {result.method}, {result.epochs} epochs
              {result.testAccuracy != null
                ? `, test accuracy ${(result.testAccuracy * 100).toFixed(1)}%`
                : ''}
              )
            </p>
          )}
          {j.status === 'succeeded' && j.spec?.recordDynamics === true && <Mislabels jobId={id} />}
        </>
      )}
    </section>
  );
}
