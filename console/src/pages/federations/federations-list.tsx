// The project's federations (collaborative learning across sites, docs/collab.md), newest first,
// live while any runs.
import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, query } from '../../api/client';
import { useEventStream } from '../../api/events';
import type { Federation } from '../../api/federations';
import { isFinished, type Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { Pager } from '../../components/pager';
import { ProgressBar } from '../../components/progress';
import { formatBytes, percent } from '../registry/format';

const PAGE = 25;

export default function FederationsListPage() {
  const { canWrite } = useSession();
  const client = useQueryClient();
  const [offset, setOffset] = useState(0);
  const list = useQuery({
    queryKey: ['federations', offset],
    queryFn: ({ signal }) =>
      getJson<Page<Federation>>(`/v1/federations${query({ limit: PAGE, offset })}`, signal),
  });
  // Live over the federation jobs' event stream: a round's end (progress) or a status change
  // re-reads the page.
  const reread = useCallback(
    () => void client.invalidateQueries({ queryKey: ['federations'] }),
    [client],
  );
  useEventStream(
    `/v1/events/stream${query({ kind: 'federation' })}`,
    (e) => {
      if (e.event === 'progress' || e.event === 'status') reread();
    },
    undefined,
    reread,
  );
  return (
    <section>
      <h1>Federations</h1>
      <p>
        One model trained across sites whose data never leaves them: only weights (or predictions on
        a public set) cross, metered per round.
      </p>
      {canWrite && (
        <p>
          <Link to="/federations/new">New federation</Link>
        </p>
      )}
      {list.error && <p role="alert">{list.error.message}</p>}
      {list.data?.total === 0 && (
        <p>No federations yet (the form above, POST /v1/federations or `autodl collab run`).</p>
      )}
      {list.data && list.data.total > 0 && (
        <>
          <table aria-label="Federations">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Sites</th>
                <th scope="col">Rounds</th>
                <th scope="col">Accuracy</th>
                <th scope="col">Exchanged</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((f) => (
                <tr key={f.id}>
                  <td>
                    <Link to={`/federations/${f.id}`}>{f.id.slice(0, 8)}</Link>
                  </td>
                  <td>{f.algorithm}</td>
                  <td>{f.sites.map((s) => s.name).join(', ')}</td>
                  <td>
                    {isFinished(f.status) ? (
                      `${f.roundsDone}/${f.roundsPlanned}`
                    ) : (
                      <ProgressBar value={f.progress} label={`progress of ${f.id.slice(0, 8)}`} />
                    )}
                  </td>
                  <td>{percent(f.summary.globalAccuracy)}</td>
                  <td>{formatBytes(f.bytesTotal)}</td>
                  <td className={`status status-${f.status}`}>{f.status}</td>
                  <td>{new Date(f.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Pages"
            offset={offset}
            pageSize={PAGE}
            page={list.data}
            empty="no federations"
            onOffset={setOffset}
          />
        </>
      )}
    </section>
  );
}
