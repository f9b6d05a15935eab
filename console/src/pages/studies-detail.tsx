import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { postJson } from '../api/client';
import { summaryQuery } from '../api/study-queries';
import { useSession } from '../auth/session';
import { loadEcharts } from '../charts/echart';
import { StudyNotes } from './studies-notes';
import { HistoryPlot, SecondaryPlots } from './studies-plots';
import { useLiveStudy } from './studies-live';
import { TrialsTable } from './studies-trials-table';

// The chart library downloads while the page asks for its data (the route's loader started both
// already on a first visit; this covers the others).
void loadEcharts();

export default function StudyDetailPage() {
  const { id = '' } = useParams();
  const { canWrite } = useSession();
  const client = useQueryClient();
  // The plots below the fold wait until the history is drawn, so they do not compete with it.
  const [historyDrawn, setHistoryDrawn] = useState(false);
  const summary = useQuery(summaryQuery(id));
  // New trials arrive over SSE once the page is interactive (no polling).
  useLiveStudy(id, summary.data, historyDrawn);
  const stop = useMutation({
    mutationFn: () => postJson(`/v1/studies/${id}/stop`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['study-summary', id] }),
  });
  const s = summary.data;
  if (summary.error) return <p role="alert">{String(summary.error.message)}</p>;
  // The history plot is mounted from the start (its frame drawn while the data loads); the rest
  // needs the summary.
  return (
    <section>
      <p>
        <Link to="/studies">Studies</Link>
      </p>
      {s ? (
        <>
          <h1>Study {s.name}</h1>
          <dl className="facts">
            <dt>Status</dt>
            <dd className={`status status-${s.status}`}>{s.status}</dd>
            <dt>Directions</dt>
            <dd>{s.directions.join(', ')}</dd>
            <dt>Trials</dt>
            <dd data-testid="counts">
              {s.counts.complete} complete, {s.counts.pruned} pruned, {s.counts.failed} failed,{' '}
              {s.counts.running} running
            </dd>
            {s.directions.length === 1 && s.best[0] && (
              <>
                <dt>Best</dt>
                <dd>
                  trial {s.best[0].number}: {s.best[0].values[0]}
                </dd>
              </>
            )}
          </dl>
          {canWrite && s.status === 'running' && (
            <button type="button" onClick={() => stop.mutate()} disabled={stop.isPending}>
              Stop study
            </button>
          )}
          {stop.error && <p role="alert">{String(stop.error.message)}</p>}
        </>
      ) : (
        <p aria-busy="true">Loading study…</p>
      )}
      <HistoryPlot
        studyId={id}
        metric={s?.metrics[0]}
        onRendered={() => {
          // User-timing marks: bench/console/studies-scale.ts reads them (time to interactive).
          if (!historyDrawn) performance.mark('studies:history-drawn');
          setHistoryDrawn(true);
        }}
      />
      {s && <TrialsTable studyId={id} params={Object.keys(s.params)} />}
      {s && historyDrawn && <SecondaryPlots s={s} />}
      {s && <StudyNotes studyId={id} />}
    </section>
  );
}
