import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { getJson, query } from '../../api/client';
import type { Page } from '../../api/types';
import type { Dataset, DatasetExample, Model } from '../../api/registry-types';
import { EChart } from '../../charts/echart';
import { classCountsOption } from '../../charts/options/class-counts';
import { datasetRole } from '../../charts/options/lineage-graph';
import { formatBytes } from './format';
import { SiteSplitForm } from './site-split-form';
import { Thumbnail } from './thumbnail';
import './registry.css';

const SPLITS = ['', 'train', 'validation', 'test'] as const;

/** A data set: class counts, examples per class (thumbnails, rows or texts), splits, lineage. */
export default function DatasetDetailPage() {
  const { id = '' } = useParams();
  const [split, setSplit] = useState<(typeof SPLITS)[number]>('');
  const dataset = useQuery({
    queryKey: ['dataset', id],
    queryFn: ({ signal }) => getJson<Dataset>(`/v1/datasets/${encodeURIComponent(id)}`, signal),
  });
  const examples = useQuery({
    queryKey: ['dataset-examples', id, split],
    queryFn: ({ signal }) =>
      getJson<{ kind: string; items: DatasetExample[] }>(
        `/v1/datasets/${encodeURIComponent(id)}/examples${query({ split, limit: 6 })}`,
        signal,
      ),
  });
  // Lineage: the models trained on this set (a project has few enough models to list them).
  const models = useQuery({
    queryKey: ['models', 'all'],
    queryFn: ({ signal }) => getJson<Page<Model>>(`/v1/models?limit=500`, signal),
  });
  // Site data sets split from this one (their options name it).
  const datasets = useQuery({
    queryKey: ['datasets', 'all'],
    queryFn: ({ signal }) => getJson<Page<Dataset>>(`/v1/datasets${query({ limit: 500 })}`, signal),
  });
  const counts = dataset.data?.stats.countsPerClass;
  const option = useMemo(() => (counts ? classCountsOption(counts) : null), [counts]);
  if (dataset.error) return <p role="alert">{dataset.error.message}</p>;
  const d = dataset.data;
  if (!d) return <p aria-busy="true">Loading…</p>;
  const sites = (datasets.data?.items ?? [])
    .filter((x) => x.options.derivedFrom === d.id)
    .sort((a, b) => Number(a.options.site) - Number(b.options.site));
  // Trained on it, or a federation's site or shared set (the model's lineage names it by id).
  const trained = (models.data?.items ?? []).flatMap((m) => {
    const role = datasetRole(m.lineage, d.id);
    return role ? [{ m, role }] : [];
  });
  return (
    <section>
      <p>
        <Link to="/datasets">Data sets</Link> /
      </p>
      <h1>Data set {d.name}</h1>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{d.kind}</dd>
        <dt>Source</dt>
        <dd>
          {d.source}
          {typeof d.options.file === 'string' ? ` (${d.options.file})` : ''}
          {typeof d.options.packaged === 'string' ? ` (${d.options.packaged})` : ''}
          {typeof d.options.derivedFrom === 'string' && (
            <>
              {' '}
              (site {String(d.options.site)} of {String(d.options.sites)} of{' '}
              <Link to={`/datasets/${d.options.derivedFrom}`}>
                {String(d.options.derivedFromName ?? d.options.derivedFrom)}
              </Link>
              )
            </>
          )}
        </dd>
        <dt>Examples</dt>
        <dd>{d.stats.size}</dd>
        {d.stats.imageShape && (
          <>
            <dt>Image shape</dt>
            <dd>
              {d.stats.imageShape.height}×{d.stats.imageShape.width}×{d.stats.imageShape.channels}
            </dd>
          </>
        )}
        {d.stats.featureCount !== undefined && (
          <>
            <dt>Features</dt>
            <dd>{d.stats.featureCount}</dd>
          </>
        )}
        {d.stats.meanTokens !== undefined && (
          <>
            <dt>Mean tokens</dt>
            <dd>{d.stats.meanTokens.toFixed(1)}</dd>
          </>
        )}
        <dt>Stored size</dt>
        <dd>{formatBytes(d.fileSize)}</dd>
        <dt>Created</dt>
        <dd>{new Date(d.createdAt).toLocaleString()}</dd>
      </dl>

      <h2>Splits</h2>
      <table aria-label="Split sizes">
        <thead>
          <tr>
            <th scope="col">Train</th>
            <th scope="col">Validation</th>
            <th scope="col">Test</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>{d.splitSizes.train}</td>
            <td>{d.splitSizes.validation}</td>
            <td>{d.splitSizes.test}</td>
          </tr>
        </tbody>
      </table>

      <h2>Examples per class</h2>
      {option && (
        <EChart
          option={option}
          height={Math.min(360, 200 + d.stats.numClasses * 4)}
          label={`Examples per class: ${Object.entries(d.stats.countsPerClass)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')}`}
        />
      )}

      <h2>Samples</h2>
      <label>
        Samples of split{' '}
        <select value={split} onChange={(e) => setSplit(e.target.value as (typeof SPLITS)[number])}>
          {SPLITS.map((s) => (
            <option key={s} value={s}>
              {s || 'all'}
            </option>
          ))}
        </select>
      </label>
      {examples.error && <p role="alert">{examples.error.message}</p>}
      {examples.data && <Samples dataset={d} items={examples.data.items} />}

      {d.kind === 'image' && (
        <>
          <h2>Federation sites</h2>
          {sites.length > 0 && (
            <p>
              Split into sites:{' '}
              {sites.map((x, i) => (
                <span key={x.id}>
                  {i > 0 && ', '}
                  <Link to={`/datasets/${x.id}`}>{x.name}</Link>
                </span>
              ))}
            </p>
          )}
          <SiteSplitForm dataset={d} />
        </>
      )}

      <h2>Models trained on it</h2>
      {trained.length === 0 ? (
        <p>No model has been trained on this data set yet.</p>
      ) : (
        <ul aria-label="Models trained on this data set">
          {trained.map(({ m, role }) => (
            <li key={m.id}>
              <Link to={`/models/${m.id}`}>{m.name}</Link> (
              {role === 'trained on' ? '' : `federation ${role}, `}
              {m.lineage.method}, {m.architecture})
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Samples({ dataset, items }: { dataset: Dataset; items: DatasetExample[] }) {
  const byClass = new Map<string, DatasetExample[]>();
  for (const e of items) byClass.set(e.className, [...(byClass.get(e.className) ?? []), e]);
  if (items.length === 0) return <p>No examples in this split.</p>;
  if (dataset.kind === 'image') {
    return (
      <div className="thumb-classes">
        {[...byClass].map(([cls, list]) => (
          <figure key={cls} className="thumb-class">
            <figcaption>
              {cls} ({dataset.stats.countsPerClass[cls] ?? 0})
            </figcaption>
            <ul className="thumb-grid" aria-label={`Examples of class ${cls}`}>
              {list.map((e) => (
                <li key={e.index}>
                  <Thumbnail
                    dataset={dataset.id}
                    index={e.index}
                    alt={`${cls} #${e.index} (${e.split})`}
                  />
                </li>
              ))}
            </ul>
          </figure>
        ))}
      </div>
    );
  }
  if (dataset.kind === 'tabular') {
    const features = Object.keys(items[0].features ?? {});
    return (
      <table aria-label="Sample rows">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Class</th>
            <th scope="col">Split</th>
            {features.map((f) => (
              <th scope="col" key={f}>
                {f}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.index}>
              <td>{e.index}</td>
              <td>{e.className}</td>
              <td>{e.split}</td>
              {features.map((f) => (
                <td key={f}>{e.features?.[f]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <table aria-label="Sample texts">
      <thead>
        <tr>
          <th scope="col">Class</th>
          <th scope="col">Split</th>
          <th scope="col">Text</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={e.index}>
            <td>{e.className}</td>
            <td>{e.split}</td>
            <td>{e.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
