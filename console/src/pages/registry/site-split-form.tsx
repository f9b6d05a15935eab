import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { postJson } from '../../api/client';
import type { Dataset } from '../../api/registry-types';
import { useSession } from '../../auth/session';
import { typedNumber } from '../../lib/typed-number';

/**
 * Splits this data set into N site data sets for a federation experiment (IID, Dirichlet label
 * skew or disjoint classes; POST /v1/datasets/:ref/site-split), then offers a federation over
 * them with the sites filled in.
 */
export function SiteSplitForm({ dataset }: { dataset: Dataset }) {
  const { canWrite } = useSession();
  const client = useQueryClient();
  const [kind, setKind] = useState('dirichlet');
  const split = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      postJson<{ items: Dataset[] }>(
        `/v1/datasets/${encodeURIComponent(dataset.id)}/site-split`,
        body,
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['datasets'] }),
  });
  if (!canWrite) return null;
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const field = (k: string) => String(form.get(k) ?? '').trim();
    // Numbers as typed; the server names a bad or missing one.
    const body: Record<string, unknown> = { sites: typedNumber(field('sites')), split: kind };
    if (kind === 'dirichlet' && field('alpha')) body.alpha = typedNumber(field('alpha'));
    if (field('seed')) body.seed = typedNumber(field('seed'));
    if (field('prefix')) body.prefix = field('prefix');
    split.mutate(body);
  }
  const made = split.data?.items;
  return (
    <form className="upload" onSubmit={submit} aria-label="Split into federation sites">
      <fieldset>
        <legend>Split into federation sites</legend>
        <label>
          Sites <input name="sites" type="number" min={2} max={32} defaultValue={4} />
        </label>
        <label>
          Split{' '}
          <select name="split" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="iid">iid</option>
            <option value="dirichlet">dirichlet (label skew)</option>
            <option value="classes">classes (disjoint)</option>
          </select>
        </label>
        {kind === 'dirichlet' && (
          <label>
            Alpha <input name="alpha" inputMode="decimal" defaultValue="0.5" />
          </label>
        )}
        <label>
          Seed <input name="seed" type="number" min={0} defaultValue={0} />
        </label>
        <label>
          Names <input name="prefix" placeholder={`${dataset.name}-site`} /> -1 … -N
        </label>
        <button type="submit" disabled={split.isPending}>
          {split.isPending ? 'Splitting…' : 'Split'}
        </button>
        <p className="muted">
          Every example keeps its split, so each site tests on data like its own; the sites together
          are this data set.
        </p>
      </fieldset>
      {split.error && <p role="alert">{split.error.message}</p>}
      {made && (
        <div role="status">
          <p>Registered {made.length} site data sets:</p>
          <ul aria-label="Site data sets">
            {made.map((d) => (
              <li key={d.id}>
                <Link to={`/datasets/${d.id}`}>{d.name}</Link>: {d.stats.size} examples (
                {d.splitSizes.train} train),{' '}
                {Object.entries(d.stats.countsPerClass)
                  .map(([c, n]) => `${c} ${n}`)
                  .join(', ')}
              </li>
            ))}
          </ul>
          <p>
            <Link
              to={`/federations/new?datasets=${encodeURIComponent(made.map((d) => d.name).join(','))}`}
            >
              Start a federation over them
            </Link>
          </p>
        </div>
      )}
    </form>
  );
}
