import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, query, request } from '../../api/client';
import type { Page } from '../../api/types';
import type { Dataset } from '../../api/registry-types';
import { useSession } from '../../auth/session';
import { formatBytes } from './format';
import './registry.css';
import { Registered } from './registered';
import { Pager } from '../../components/pager';
import { PackagedForm } from './packaged-form';

const PAGE = 50;

/** Data sets of the project, newest first, and (for writers) the upload form. */
export default function DatasetsListPage() {
  const { canWrite } = useSession();
  const [offset, setOffset] = useState(0);
  const datasets = useQuery({
    queryKey: ['datasets', offset],
    queryFn: ({ signal }) =>
      getJson<Page<Dataset>>(`/v1/datasets${query({ limit: PAGE, offset })}`, signal),
  });
  return (
    <section>
      <h1>Data sets</h1>
      {canWrite && (
        <>
          <UploadForm />
          <PackagedForm />
        </>
      )}
      {datasets.error && <p role="alert">{datasets.error.message}</p>}
      <table aria-label="Registered data sets">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Examples</th>
            <th scope="col">Classes</th>
            <th scope="col">Splits (train/validation/test)</th>
            <th scope="col">Size</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {datasets.data?.items.map((d) => (
            <tr key={d.id}>
              <td>
                <Link to={`/datasets/${d.id}`}>{d.name}</Link>
              </td>
              <td>{d.kind}</td>
              <td>{d.stats.size}</td>
              <td>{d.stats.numClasses}</td>
              <td>
                {d.splitSizes.train}/{d.splitSizes.validation}/{d.splitSizes.test}
              </td>
              <td>{formatBytes(d.fileSize)}</td>
              <td>{new Date(d.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {datasets.data && (
        <Pager
          label="Pages"
          offset={offset}
          pageSize={PAGE}
          page={datasets.data}
          empty="no data sets"
          onOffset={setOffset}
        />
      )}
    </section>
  );
}

/** multipart upload: a zip of class folders, a CSV with a label column, or JSONL {text,label}. */
function UploadForm() {
  const client = useQueryClient();
  const [created, setCreated] = useState<Dataset | null>(null);
  const upload = useMutation({
    mutationFn: async (form: FormData) => {
      // Multipart: the browser sets the boundary; request() adds only the key.
      const res = await request('/v1/datasets', { method: 'POST', body: form });
      return (await res.json()) as Dataset;
    },
    onSuccess: (d) => {
      setCreated(d);
      void client.invalidateQueries({ queryKey: ['datasets'] });
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    for (const [k, v] of [...form.entries()]) if (v === '') form.delete(k);
    setCreated(null);
    upload.mutate(form);
  }
  return (
    <form className="upload" onSubmit={submit} aria-label="Upload a data set">
      <fieldset>
        <legend>Upload a data set</legend>
        <label>
          Name <input name="name" required />
        </label>
        <label>
          File (.zip of class folders, .csv, .jsonl){' '}
          <input name="file" type="file" required accept=".zip,.csv,.jsonl,.ndjson" />
        </label>
        <label>
          Label column (CSV) <input name="labelColumn" />
        </label>
        <label>
          Split (train,validation,test) <input name="split" placeholder="0.7,0.15,0.15" />
        </label>
        <label>
          Seed <input name="seed" type="number" min={0} />
        </label>
        <button type="submit" disabled={upload.isPending}>
          {upload.isPending ? 'Uploading…' : 'Upload'}
        </button>
      </fieldset>
      <Registered error={upload.error} created={created} />
    </form>
  );
}
