import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, postJson } from '../api/client';
import { isFinished, type Job, type JobStatus } from '../api/types';
import { useSession } from '../auth/session';
import { EChart } from '../charts/echart';
import {
  NAS_COST_AXES,
  nasFrontData,
  nasFrontOption,
  type NasCostMetric,
  type NasTrialPoint,
} from '../charts/options/shared';
import { JobActions } from '../components/job-actions';
import { ProgressBar } from '../components/progress';

interface TrialSummary extends NasTrialPoint {
  encoding: unknown;
  epochsTrained: number;
  constraints?: number[];
}

interface NasStatus {
  id: string;
  status: JobStatus;
  progress: number;
  error: string | null;
  spec: { space?: unknown };
  seed: number | null;
  trials?: number;
  counts?: Record<string, number>;
  frontCosts?: NasCostMetric[];
  best?: TrialSummary;
  leaderboard?: TrialSummary[];
  paretoFront?: TrialSummary[];
  artifacts?: Record<string, string | null>;
}

const METRICS: NasCostMetric[] = ['flops', 'params', 'latencyMs'];
const fmt = (v: number | undefined, d = 4) =>
  v === undefined ? '' : String(Number(v.toPrecision(d)));

function spaceType(space: unknown): string {
  if (typeof space === 'string') return space;
  const t = (space as { type?: unknown } | undefined)?.type;
  return typeof t === 'string' ? t : 'space';
}

/** An encoding as a list of layers/cells when it has one, otherwise its fields. */
function Architecture({ trial }: { trial: TrialSummary }) {
  const enc = trial.encoding;
  const list =
    enc && typeof enc === 'object'
      ? Object.entries(enc as Record<string, unknown>).find(([, v]) => Array.isArray(v))
      : undefined;
  const others =
    enc && typeof enc === 'object'
      ? Object.entries(enc as Record<string, unknown>).filter(([, v]) => !Array.isArray(v))
      : [];
  return (
    <section aria-labelledby="arch-title">
      <h2 id="arch-title">Architecture of trial {trial.number}</h2>
      <p>
        accuracy {fmt(trial.accuracy)}, {fmt(trial.flops / 1e6)} MFLOPs, {trial.params} parameters
        {trial.latencyMs !== undefined ? `, ${fmt(trial.latencyMs)} ms` : ''}
        {trial.feasible ? '' : ' (infeasible)'}
      </p>
      {others.length > 0 && (
        <dl>
          {others.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{JSON.stringify(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      {list && (
        <ol aria-label={`${list[0]} of trial ${trial.number}`}>
          {(list[1] as unknown[]).map((layer, i) => (
            <li key={i}>
              <code>{typeof layer === 'object' ? JSON.stringify(layer) : String(layer)}</code>
            </li>
          ))}
        </ol>
      )}
      {!list && others.length === 0 && <pre>{JSON.stringify(enc, null, 2)}</pre>}
    </section>
  );
}

/** One search: accuracy vs cost fronts, leaderboard, a candidate's architecture, export. */
export default function NasRunPage() {
  const { id = '' } = useParams();
  const { canWrite } = useSession();
  const client = useQueryClient();
  const [metric, setMetric] = useState<NasCostMetric | null>(null);
  const [chosen, setChosen] = useState<number | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const run = useQuery({
    queryKey: ['nas', id],
    queryFn: ({ signal }) => getJson<NasStatus>(`/v1/nas/${id}`, signal),
    refetchInterval: (q) => (q.state.data && !isFinished(q.state.data.status) ? 2_000 : false),
  });
  const trialsUrl = run.data?.artifacts?.trialsJson ?? null;
  const trials = useQuery({
    queryKey: ['nas-trials', id, trialsUrl],
    enabled: trialsUrl !== null,
    queryFn: ({ signal }) => getJson<TrialSummary[]>(trialsUrl as string, signal),
  });
  const x = metric ?? run.data?.frontCosts?.[0] ?? 'flops';
  const data = useMemo(
    () =>
      trials.data &&
      nasFrontData(spaceType(run.data?.spec.space), x, trials.data, run.data?.paretoFront ?? []),
    [trials.data, run.data, x],
  );
  const option = useMemo(() => data && nasFrontOption(data), [data]);
  const board = run.data?.leaderboard ?? [];
  const candidate =
    trials.data?.find((t) => t.number === chosen) ??
    board.find((t) => t.number === chosen) ??
    run.data?.best;

  async function exportTrial(trial: number) {
    setExportError(null);
    try {
      const job = await postJson<Job>(`/v1/nas/${id}/export`, { trial });
      setExported(job.id);
    } catch (e) {
      setExportError(e instanceof Error ? e.message : String(e));
    }
  }

  const r = run.data;
  return (
    <section>
      <p>
        <Link to="/nas">Architecture searches</Link>
      </p>
      <h1>Search {id.slice(0, 8)}</h1>
      {run.error && <p role="alert">{run.error.message}</p>}
      {r && (
        <p>
          Status <span className={`status status-${r.status}`}>{r.status}</span>{' '}
          <ProgressBar value={r.progress} label="search progress" />
          {r.error && <span role="alert"> {r.error}</span>} {r.trials ?? 0} trials
          {r.counts ? ` (${countsText(r.counts)})` : ''}
          {r.seed !== null ? `, seed ${r.seed}` : ''}.
        </p>
      )}
      {r && (
        <JobActions
          job={r}
          noun="search"
          onChange={() => void client.invalidateQueries({ queryKey: ['nas', id] })}
        />
      )}
      {data && option && (
        <>
          <h2>Fronts</h2>
          <label>
            Cost axis{' '}
            <select value={x} onChange={(e) => setMetric(e.target.value as NasCostMetric)}>
              {METRICS.map((m) => (
                <option key={m} value={m}>
                  {NAS_COST_AXES[m].label}
                </option>
              ))}
            </select>
          </label>
          <div
            data-chart="nas-front"
            data-points={data.points.length}
            data-infeasible={data.infeasible?.length ?? 0}
            data-front={data.front.length}
          >
            <EChart
              option={option}
              height={400}
              label={`Validation accuracy vs ${NAS_COST_AXES[x].label}: ${data.points.length} feasible trials, ${data.infeasible?.length ?? 0} infeasible, front of ${data.front.length}`}
            />
          </div>
        </>
      )}
      {board.length > 0 && (
        <>
          <h2>Leaderboard</h2>
          <table aria-label="Leaderboard">
            <thead>
              <tr>
                <th scope="col">Trial</th>
                <th scope="col">Accuracy</th>
                <th scope="col">MFLOPs</th>
                <th scope="col">Parameters</th>
                <th scope="col">Latency (ms)</th>
                <th scope="col">Feasible</th>
                <th scope="col">Architecture</th>
                {canWrite && <th scope="col">Export</th>}
              </tr>
            </thead>
            <tbody>
              {board.map((t) => (
                <tr
                  key={t.number}
                  aria-current={candidate?.number === t.number ? 'true' : undefined}
                >
                  <th scope="row">{t.number}</th>
                  <td>{fmt(t.accuracy)}</td>
                  <td>{fmt(t.flops / 1e6)}</td>
                  <td>{t.params}</td>
                  <td>{fmt(t.latencyMs)}</td>
                  <td>{t.feasible ? 'yes' : 'no'}</td>
                  <td>
                    <button type="button" onClick={() => setChosen(t.number)}>
                      Show trial {t.number}
                    </button>
                  </td>
                  {canWrite && (
                    <td>
                      <button type="button" onClick={() => void exportTrial(t.number)}>
                        Export trial {t.number}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {exported && (
        <p role="status">
          Export queued: <Link to={`/jobs/${exported}`}>job {exported.slice(0, 8)}</Link>
        </p>
      )}
      {exportError && <p role="alert">{exportError}</p>}
      {candidate && <Architecture trial={candidate} />}
    </section>
  );
}

/** The outcome counts in words, the ones that happened (`rejectedDraws` is not a word). */
const COUNT_WORDS: Record<string, string> = {
  complete: 'complete',
  infeasible: 'over a budget',
  pruned: 'pruned',
  failed: 'failed',
  rejectedDraws: 'over-budget candidates re-drawn',
};

function countsText(counts: Record<string, number>): string {
  const shown = Object.entries(counts).filter(([k, v]) => v > 0 || k === 'complete');
  return shown.map(([k, v]) => `${v} ${COUNT_WORDS[k] ?? k}`).join(', ');
}
