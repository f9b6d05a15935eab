import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { ApiError, getJson } from '../../api/client';
import { saveBlob } from '../../api/download';
import type { Page } from '../../api/types';
import type { Dataset, Evaluation, Model, ModelFile } from '../../api/registry-types';
import { EChart } from '../../charts/echart';
import {
  confusionMatrixHeight,
  confusionMatrixOption,
} from '../../charts/options/confusion-matrix';
import { lineageOption, relatedModels } from '../../charts/options/lineage-graph';
import { formatBytes, formatCount, percent } from './format';
import { PredictPlayground } from './predict-playground';
import './registry.css';

/** A model: facts, lineage graph, evaluation, predict playground, files. */
export default function ModelDetailPage() {
  const { id = '' } = useParams();
  const model = useQuery({
    queryKey: ['model', id],
    queryFn: ({ signal }) => getJson<Model>(`/v1/models/${encodeURIComponent(id)}`, signal),
  });
  if (model.error) return <p role="alert">{model.error.message}</p>;
  const m = model.data;
  if (!m) return <p aria-busy="true">Loading…</p>;
  return (
    <section>
      <p>
        <Link to="/models">Models</Link> /
      </p>
      <h1>Model {m.name}</h1>
      <dl className="facts">
        <dt>Architecture</dt>
        <dd>{m.architecture}</dd>
        <dt>Input</dt>
        <dd>
          {m.inputKind} [{m.inputShape.join(', ')}]
        </dd>
        <dt>Classes</dt>
        <dd>{m.classNames.join(', ')}</dd>
        <dt>Parameters</dt>
        <dd>{formatCount(m.params)}</dd>
        <dt>FLOPs</dt>
        <dd>{formatCount(m.flops)}</dd>
        <dt>Method</dt>
        <dd>{m.lineage.method}</dd>
        <dt>Test accuracy</dt>
        <dd>{percent(m.testAccuracy)}</dd>
        {m.lineage.jobId && (
          <>
            <dt>Job</dt>
            <dd>
              <Link to={`/jobs/${m.lineage.jobId}`}>{m.lineage.jobId.slice(0, 8)}</Link>
            </dd>
          </>
        )}
      </dl>
      <h2>Lineage</h2>
      <LineageSection model={m} />
      <h2>Evaluation</h2>
      <EvaluationSection model={m} />
      <h2>Predict</h2>
      <PredictPlayground model={m} />
      {m.inputKind === 'image' && (
        <p>
          <Link to={`/models/${m.id}/personalise`}>Personalise in your browser</Link>: train the
          last layers on your own images in this tab, nothing uploaded.
        </p>
      )}
      <h2>Files</h2>
      <FilesSection model={m} />
    </section>
  );
}

function LineageSection({ model }: { model: Model }) {
  const models = useQuery({
    queryKey: ['models', 'all'],
    queryFn: ({ signal }) => getJson<Page<Model>>(`/v1/models?limit=500`, signal),
  });
  const datasets = useQuery({
    queryKey: ['datasets', 'all'],
    queryFn: ({ signal }) => getJson<Page<Dataset>>(`/v1/datasets?limit=500`, signal),
  });
  const related = useMemo(() => {
    // Oldest first, so generations fill top-down in creation order.
    const all = [...(models.data?.items ?? [])].reverse();
    if (!all.some((x) => x.id === model.id)) all.push(model);
    return relatedModels(
      all.map((x) => ({ ...x.lineage, id: x.id, name: x.name })),
      model.id,
    );
  }, [models.data, model]);
  const datasetNames = useMemo(
    () => Object.fromEntries((datasets.data?.items ?? []).map((d) => [d.id, d.name])),
    [datasets.data],
  );
  const option = useMemo(
    () => lineageOption({ focusId: model.id, models: related, datasetNames }),
    [model.id, related, datasetNames],
  );
  if (!models.data || !datasets.data) return <p aria-busy="true">Loading…</p>;
  const base = related.find((x) => x.id === model.lineage.baseModelId);
  const derived = related.filter((x) => x.baseModelId === model.id);
  return (
    <>
      <EChart
        option={option}
        height={320}
        label={`Lineage of ${model.name}: ${related.length} related models`}
      />
      <ul aria-label="Lineage">
        {base && (
          <li>
            Base model: <Link to={`/models/${base.id}`}>{base.name}</Link>
          </li>
        )}
        {model.lineage.datasetId && (
          <li>
            Trained on: <DatasetLink id={model.lineage.datasetId} names={datasetNames} />
          </li>
        )}
        {(model.lineage.siteDatasetIds ?? []).map((id) => (
          <li key={id}>
            Site data set: <DatasetLink id={id} names={datasetNames} />
          </li>
        ))}
        {model.lineage.sharedDatasetId && (
          <li>
            Shared set: <DatasetLink id={model.lineage.sharedDatasetId} names={datasetNames} />
          </li>
        )}
        {derived.map((x) => (
          <li key={x.id}>
            Derived ({x.method}): <Link to={`/models/${x.id}`}>{x.name}</Link>
          </li>
        ))}
      </ul>
    </>
  );
}

/** A data set by name when the viewer can read it, else by its id prefix. */
function DatasetLink({ id, names }: { id: string; names: Readonly<Record<string, string>> }) {
  return <Link to={`/datasets/${id}`}>{names[id] ?? id.slice(0, 8)}</Link>;
}

function EvaluationSection({ model }: { model: Model }) {
  const evaluation = useQuery({
    queryKey: ['evaluation', model.id],
    queryFn: ({ signal }) => getJson<Evaluation>(`/v1/models/${model.id}/evaluation`, signal),
    retry: false,
  });
  const e = evaluation.data;
  const option = useMemo(() => (e ? confusionMatrixOption(e.classNames, e.confusion) : null), [e]);
  if (evaluation.error) {
    const err = evaluation.error;
    return err instanceof ApiError && err.status === 409 ? (
      <p>{err.message}</p>
    ) : (
      <p role="alert">{err.message}</p>
    );
  }
  if (!e || !option) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <p>
        Accuracy <strong>{percent(e.accuracy)}</strong> on {e.count} {e.split} examples (loss{' '}
        {e.loss.toFixed(4)}).
      </p>
      <EChart
        option={option}
        height={confusionMatrixHeight(e.classNames.length)}
        label={`Confusion matrix on the ${e.split} split, rows true class, columns predicted`}
      />
      <table aria-label="Per-class precision and recall">
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Precision</th>
            <th scope="col">Recall</th>
            <th scope="col">Support</th>
          </tr>
        </thead>
        <tbody>
          {e.classNames.map((c, i) => (
            <tr key={c}>
              <td>{c}</td>
              <td>{percent(e.precision[i])}</td>
              <td>{percent(e.recall[i])}</td>
              <td>{e.confusion[i]?.reduce((s, n) => s + n, 0) ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function FilesSection({ model }: { model: Model }) {
  const [error, setError] = useState<string | null>(null);
  const files = useQuery({
    queryKey: ['model-files', model.id],
    queryFn: ({ signal }) =>
      getJson<{ files: ModelFile[] }>(`/v1/models/${model.id}/files`, signal),
  });
  if (files.error) return <p role="alert">{files.error.message}</p>;
  if (!files.data) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <table aria-label="Model files">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Size</th>
            <th scope="col">SHA-256</th>
            <th scope="col">Download</th>
          </tr>
        </thead>
        <tbody>
          {files.data.files.map((f) => (
            <tr key={f.name}>
              <td>{f.name}</td>
              <td>{formatBytes(f.size)}</td>
              <td>
                <code>{f.sha256.slice(0, 16)}…</code>
              </td>
              <td>
                <button
                  type="button"
                  aria-label={`Download ${f.name}`}
                  onClick={() => {
                    setError(null);
                    saveBlob(f.url, f.name).catch((err: Error) => setError(err.message));
                  }}
                >
                  Download
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && <p role="alert">{error}</p>}
    </>
  );
}
