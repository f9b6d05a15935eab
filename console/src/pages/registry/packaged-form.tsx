import { useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, postJson } from '../../api/client';
import type { Dataset, PackagedSet } from '../../api/registry-types';
import { Registered } from './registered';
import { parseClassList } from '../../../../src/datasets/core/class-list';

/**
 * Registers a packaged set (Fashion-MNIST, the scikit-learn CSVs, SpamAssassin) from the files
 * installed on the server, as `autodl datasets create --packaged` does: a console user can get
 * data in without a file of their own. Sets not installed there are listed with what to install.
 */
export function PackagedForm() {
  const client = useQueryClient();
  const catalog = useQuery({
    // Not under ['datasets']: registering a set refreshes the list, not this file check.
    queryKey: ['packaged-datasets'],
    queryFn: ({ signal }) => getJson<{ items: PackagedSet[] }>('/v1/datasets/packaged', signal),
    staleTime: Infinity,
  });
  const installed = catalog.data?.items.filter((s) => s.installed) ?? [];
  const missing = catalog.data?.items.filter((s) => !s.installed) ?? [];
  const [chosen, setChosen] = useState('');
  const set = installed.find((s) => s.name === chosen) ?? installed[0];
  const [created, setCreated] = useState<Dataset | null>(null);
  const register = useMutation({
    mutationFn: (body: Record<string, unknown>) => postJson<Dataset>('/v1/datasets', body),
    onSuccess: (d) => {
      setCreated(d);
      void client.invalidateQueries({ queryKey: ['datasets'] });
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!set) return;
    const form = new FormData(e.currentTarget);
    const field = (k: string) => String(form.get(k) ?? '').trim();
    const body: Record<string, unknown> = { packaged: set.name, name: field('name') || set.name };
    if (field('classes')) body.classes = parseClassList(field('classes'));
    if (field('perClass')) body.perClass = Number(field('perClass'));
    if (field('seed')) body.seed = Number(field('seed'));
    setCreated(null);
    register.mutate(body);
  }
  if (catalog.error) return <p role="alert">{catalog.error.message}</p>;
  if (!catalog.data) return null;
  return (
    <form className="upload" onSubmit={submit} aria-label="Add a packaged data set">
      <fieldset>
        <legend>Add a packaged data set</legend>
        {set ? (
          <>
            <label>
              Set{' '}
              <select name="packaged" value={set.name} onChange={(e) => setChosen(e.target.value)}>
                {installed.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Name <input name="name" placeholder={set.name} />
            </label>
            <label>
              Classes <input name="classes" placeholder="all, or e.g. 0,1,2" />
            </label>
            <label>
              Training examples per class <input name="perClass" type="number" min={1} />
            </label>
            <label>
              Seed <input name="seed" type="number" min={0} />
            </label>
            <button type="submit" disabled={register.isPending}>
              {register.isPending ? 'Adding…' : 'Add'}
            </button>
            <p className="muted" data-testid="packaged-description">
              {set.description}
            </p>
          </>
        ) : (
          <p>No packaged data set is installed on this server.</p>
        )}
      </fieldset>
      {missing.length > 0 && (
        <details>
          <summary>Not installed on this server ({missing.length})</summary>
          <ul>
            {missing.map((s) => (
              <li key={s.name}>
                <strong>{s.name}</strong>: {s.description}. Install: <code>{s.install}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
      <Registered error={register.error} created={created} />
    </form>
  );
}
