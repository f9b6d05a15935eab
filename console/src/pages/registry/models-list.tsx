import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { getJson, query } from '../../api/client';
import type { Page } from '../../api/types';
import type { Model } from '../../api/registry-types';
import { formatCount, percent } from './format';
import { Pager } from '../../components/pager';

const PAGE = 50;

/** The model registry: name, kind, architecture, accuracy, parent, created. */
export default function ModelsListPage() {
  const [offset, setOffset] = useState(0);
  const models = useQuery({
    queryKey: ['models', offset],
    queryFn: ({ signal }) =>
      getJson<Page<Model>>(`/v1/models${query({ limit: PAGE, offset })}`, signal),
  });
  // Parent names: the parents of a page are usually on it; others show their id prefix.
  const names = new Map(models.data?.items.map((m) => [m.id, m.name]));
  return (
    <section>
      <h1>Models</h1>
      {models.error && <p role="alert">{models.error.message}</p>}
      <table aria-label="Model registry">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Input</th>
            <th scope="col">Architecture</th>
            <th scope="col">Method</th>
            <th scope="col">Test accuracy</th>
            <th scope="col">Parameters</th>
            <th scope="col">Parent</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {models.data?.items.map((m) => (
            <tr key={m.id}>
              <td>
                <Link to={`/models/${m.id}`}>{m.name}</Link>
              </td>
              <td>{m.inputKind}</td>
              <td>{m.architecture}</td>
              <td>{m.lineage.method}</td>
              <td>{percent(m.testAccuracy)}</td>
              <td>{formatCount(m.params)}</td>
              <td>
                {m.lineage.baseModelId ? (
                  <Link to={`/models/${m.lineage.baseModelId}`}>
                    {names.get(m.lineage.baseModelId) ?? m.lineage.baseModelId.slice(0, 8)}
                  </Link>
                ) : (
                  '—'
                )}
              </td>
              <td>{new Date(m.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {models.data?.total === 0 && (
        <p>
          No models yet. Train one on a data set (
          <code>autodl pretrain --dataset iris --arch mlp</code>), fine-tune one on the{' '}
          <Link to="/finetune">Fine-tune</Link> page, run a federation (
          <code>autodl collab run</code>, docs/collab.md) or import TF.js files (
          <code>POST /v1/models</code>, in the <a href="/docs">API console</a>).
        </p>
      )}
      {models.data && (
        <Pager
          label="Pages"
          offset={offset}
          pageSize={PAGE}
          page={models.data}
          empty="no models"
          onOffset={setOffset}
        />
      )}
    </section>
  );
}
