// One federation, live: its status, what it exchanged, the accuracy of the global model and of
// every site's own model per round (or per MiB exchanged), the sites with their data sets
// (lineage, by id) and the rounds with the sites left out and why. Remote sites get their key
// here, shown once.
import { useCallback, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, postJson, query } from '../../api/client';
import { useEventStream } from '../../api/events';
import type { Federation, FederationRound } from '../../api/federations';
import type { Dataset, Model } from '../../api/registry-types';
import { isFinished, type Job, type Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { EChart } from '../../charts/echart';
import { federationRoundsOption, type RoundsAxis } from '../../charts/options/federation-rounds';
import { JobActions } from '../../components/job-actions';
import { ProgressBar } from '../../components/progress';
import { TableScroll } from '../../components/table-scroll';
import { formatBytes, percent } from '../registry/format';
import { federationSettings, type StoredFederationSpec } from './federation-settings';

const fixed = (v: number | null | undefined, d = 4) =>
  v === null || v === undefined ? '—' : v.toFixed(d);

export default function FederationDetailPage() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const federation = useQuery({
    queryKey: ['federation', id],
    queryFn: ({ signal }) => getJson<Federation>(`/v1/federations/${id}`, signal),
  });
  // Live over the job's event stream, not polling: every round ends with a progress event, and
  // the status changes are events too; each re-reads the federation (rounds included).
  const running = !!federation.data && !isFinished(federation.data.status);
  const reread = useCallback(
    () => void client.invalidateQueries({ queryKey: ['federation', id] }),
    [client, id],
  );
  useEventStream(
    running ? `/v1/events/stream${query({ job: id })}` : null,
    (e) => {
      if (e.event === 'progress' || e.event === 'status') reread();
    },
    undefined,
    reread,
  );
  const [axis, setAxis] = useState<RoundsAxis>('round');
  const rounds = federation.data?.rounds;
  // codistill has no global model (sites exchange predictions): the API's "global" accuracy is
  // the mean of the sites' own models.
  const noGlobal = federation.data?.algorithm === 'codistill';
  const globalName = noGlobal ? 'mean of the sites' : 'global model';
  const option = useMemo(
    () => (rounds?.length ? federationRoundsOption(rounds, axis, globalName) : null),
    [rounds, axis, globalName],
  );
  // Names for the ids the federation holds (its lineage is by id).
  const datasets = useQuery({
    queryKey: ['datasets', 'all'],
    queryFn: ({ signal }) => getJson<Page<Dataset>>(`/v1/datasets${query({ limit: 500 })}`, signal),
  });
  const datasetNames = useMemo(
    () => new Map((datasets.data?.items ?? []).map((d) => [d.id, d.name])),
    [datasets.data],
  );
  // The settings it runs with: its job's stored spec (defaults filled in), read once.
  const job = useQuery({
    queryKey: ['job', id, 'spec'],
    queryFn: ({ signal }) => getJson<Job>(`/v1/jobs/${id}`, signal),
    staleTime: Infinity,
  });
  const settings = job.data?.spec
    ? federationSettings(
        job.data.spec as StoredFederationSpec,
        (d) => datasetNames.get(d) ?? d.slice(0, 8),
      )
    : [];
  const modelId = federation.data?.modelId;
  const model = useQuery({
    queryKey: ['model', modelId],
    queryFn: ({ signal }) => getJson<Model>(`/v1/models/${modelId}`, signal),
    enabled: !!modelId,
  });
  if (federation.error) return <p role="alert">{federation.error.message}</p>;
  const f = federation.data;
  if (!f) return <p aria-busy="true">Loading…</p>;
  const last = f.rounds?.at(-1);
  const calibration = f.summary.classifierCalibration;
  return (
    <section>
      <p>
        <Link to="/federations">Federations</Link> /
      </p>
      <h1>Federation {f.id.slice(0, 8)}</h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span className={`status status-${f.status}`}>{f.status}</span>{' '}
          {!isFinished(f.status) && (
            <ProgressBar value={f.progress} label="progress of the federation" />
          )}
        </dd>
        {f.error && (
          <>
            <dt>Error</dt>
            <dd role="alert">{f.error}</dd>
          </>
        )}
        <dt>Algorithm</dt>
        <dd>
          {f.algorithm}, {f.placement} placement
        </dd>
        {settings.length > 0 && (
          <>
            <dt>Settings</dt>
            <dd>{settings.join('; ')}</dd>
          </>
        )}
        <dt>Rounds</dt>
        <dd>
          {f.roundsDone} of {f.roundsPlanned}
        </dd>
        <dt>Exchanged</dt>
        <dd>{formatBytes(f.bytesTotal)} (weights or predictions only; no sample crosses a site)</dd>
        <dt>{noGlobal ? 'Sites’ models, mean accuracy' : 'Global model accuracy'}</dt>
        <dd>
          {f.summary.globalAccuracy !== undefined && f.summary.globalAccuracy !== null
            ? `${percent(f.summary.globalAccuracy)} on the sites’ test splits`
            : last?.globalAccuracy !== null && last?.globalAccuracy !== undefined
              ? `${percent(last.globalAccuracy)} after round ${last.round + 1}`
              : '—'}
        </dd>
        {calibration && (
          <>
            <dt>Head calibration</dt>
            <dd>
              {calibration.method}: {percent(calibration.uncalibratedAccuracy)} →{' '}
              {percent(calibration.calibratedAccuracy)}
            </dd>
          </>
        )}
        {f.summary.privacy && (
          <>
            <dt>Differential privacy</dt>
            <dd>
              ε = {fixed(f.summary.privacy.epsilon, 2)} at δ = {f.summary.privacy.delta} per site
            </dd>
          </>
        )}
        {f.sharedDatasetId && (
          <>
            <dt>Shared set</dt>
            <dd>
              <Link to={`/datasets/${f.sharedDatasetId}`}>
                {datasetNames.get(f.sharedDatasetId) ?? f.sharedDatasetId.slice(0, 8)}
              </Link>{' '}
              (every site trains on it)
            </dd>
          </>
        )}
        {f.modelId && (
          <>
            <dt>Model</dt>
            <dd>
              <Link to={`/models/${f.modelId}`}>{model.data?.name ?? f.modelId.slice(0, 8)}</Link>
            </dd>
          </>
        )}
        <dt>Job</dt>
        <dd>
          <Link to={`/jobs/${f.id}`}>logs, spec and site jobs</Link>
        </dd>
      </dl>
      <JobActions
        job={f}
        noun="federation"
        retryHint={
          // Weight algorithms checkpoint the global model after every round (codistill does not).
          !noGlobal && f.rounds?.length
            ? `resumes after round ${f.rounds.length}; the rounds done are kept`
            : undefined
        }
        onChange={reread}
      />
      <h2>Accuracy per round</h2>
      {option ? (
        <>
          <fieldset className="inline">
            <legend>Against</legend>
            {(['round', 'bytes'] as const).map((a) => (
              <label key={a}>
                <input
                  type="radio"
                  name="rounds-axis"
                  checked={axis === a}
                  onChange={() => setAxis(a)}
                />{' '}
                {a === 'round' ? 'rounds' : 'bytes exchanged'}
              </label>
            ))}
          </fieldset>
          <EChart
            option={option}
            label="Accuracy per round"
            summary={roundsSummary(f.rounds ?? [], globalName)}
            testId="federation-rounds"
          />
        </>
      ) : (
        <p>No round has finished yet.</p>
      )}
      <h2>Sites</h2>
      <SitesTable federation={f} datasetNames={datasetNames} />
      <h2>Rounds</h2>
      {f.rounds?.length ? (
        <RoundsTable rounds={f.rounds} globalName={globalName} />
      ) : (
        <p>No round has finished yet.</p>
      )}
    </section>
  );
}

function roundsSummary(rounds: readonly FederationRound[], globalName: string): string {
  const scored = rounds.filter((r) => r.globalAccuracy !== null);
  const end = scored.at(-1);
  return end
    ? `${rounds.length} rounds; the ${globalName} at ${percent(end.globalAccuracy)} after round ${end.round + 1}`
    : `${rounds.length} rounds, none evaluated`;
}

function SitesTable({
  federation: f,
  datasetNames,
}: {
  federation: Federation;
  datasetNames: ReadonlyMap<string, string>;
}) {
  const { canWrite } = useSession();
  const last = f.rounds?.at(-1);
  const sent = new Map<string, number>();
  const left = new Map<string, number>();
  for (const r of f.rounds ?? []) {
    for (const s of r.sites) sent.set(s.site, (sent.get(s.site) ?? 0) + s.bytesSent);
    for (const x of r.rejected) left.set(x.site, (left.get(x.site) ?? 0) + 1);
  }
  const siteModels = f.summary.siteModels ?? {};
  return (
    <TableScroll label="Sites">
      <table aria-label="Sites">
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Data</th>
            <th scope="col">Architecture</th>
            <th scope="col">Examples</th>
            <th scope="col">Own model, last round</th>
            <th scope="col">Sent</th>
            <th scope="col">Rounds left out</th>
            {Object.keys(siteModels).length > 0 && <th scope="col">Site model</th>}
          </tr>
        </thead>
        <tbody>
          {f.sites.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td>
                {s.placement === 'local' && s.datasetId ? (
                  <>
                    <Link to={`/datasets/${s.datasetId}`}>
                      {datasetNames.get(s.datasetId) ?? s.datasetId.slice(0, 8)}
                    </Link>
                    {s.namespace && <> in namespace {s.namespace}</>}
                  </>
                ) : (
                  <>
                    remote, its own files
                    {canWrite && !isFinished(f.status) && (
                      <SiteKey federationId={f.id} site={s.name} />
                    )}
                  </>
                )}
              </td>
              <td>{s.architecture}</td>
              <td>{s.samples ?? '—'}</td>
              <td>{percent(last?.sites.find((x) => x.site === s.name)?.localAccuracy)}</td>
              <td>{formatBytes(sent.get(s.name) ?? 0)}</td>
              <td>{left.get(s.name) ?? 0}</td>
              {Object.keys(siteModels).length > 0 && (
                <td>
                  {siteModels[s.name] ? (
                    <Link to={`/models/${siteModels[s.name]}`}>
                      {siteModels[s.name].slice(0, 8)}
                    </Link>
                  ) : (
                    '—'
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** Issues a remote site's key (each press a new one) and shows it once, with its command. */
function SiteKey({ federationId, site }: { federationId: string; site: string }) {
  const issue = useMutation({
    mutationFn: () =>
      postJson<{ key: string }>(
        `/v1/federations/${federationId}/sites/${encodeURIComponent(site)}/key`,
      ),
  });
  return (
    <div>
      <button type="button" onClick={() => issue.mutate()} disabled={issue.isPending}>
        Issue a key for {site}
      </button>
      {issue.error && <p role="alert">{issue.error.message}</p>}
      {issue.data && (
        <p className="secret">
          Shown once; it can only pull this site’s work and post its updates. On the site:
          <br />
          <code>
            autodl site serve --coordinator {window.location.origin} --key {issue.data.key} --data
            DIR
          </code>
        </p>
      )}
    </div>
  );
}

function RoundsTable({
  rounds,
  globalName,
}: {
  rounds: readonly FederationRound[];
  globalName: string;
}) {
  return (
    <TableScroll label="Rounds">
      <table aria-label="Rounds">
        <thead>
          <tr>
            <th scope="col">Round</th>
            <th scope="col">Attempts</th>
            <th scope="col">Sites accepted</th>
            <th scope="col">Left out</th>
            <th scope="col">Accuracy ({globalName})</th>
            <th scope="col">Loss</th>
            <th scope="col">Up</th>
            <th scope="col">Down</th>
          </tr>
        </thead>
        <tbody>
          {rounds.map((r) => (
            <tr key={r.round}>
              <td>{r.round + 1}</td>
              <td>{r.attempts}</td>
              <td>{r.accepted.length}</td>
              <td>
                {r.rejected.length
                  ? r.rejected.map((x) => `${x.site} (${x.reason})`).join(', ')
                  : '—'}
              </td>
              <td>{fixed(r.globalAccuracy)}</td>
              <td>{fixed(r.globalLoss)}</td>
              <td>{formatBytes(r.bytesUp)}</td>
              <td>{formatBytes(r.bytesDown)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
