// Suspected mislabels of a fine-tune run (GET /v1/jobs/:id/dynamics, ranked by area under the
// margin, forgetting events or loss) as an image gallery: each training image with the label it
// carries and the class the model predicted.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { getJson, query } from '../../api/client';
import { AuthedImg } from '../../api/authed-image';

interface Suspect {
  id: string;
  rank: number;
  score: number;
  aum: number;
  forgettingEvents: number;
  neverLearned: boolean;
  meanLoss: number;
  label?: number;
  predicted?: number;
}

interface Dynamics {
  jobId: string;
  dataset: string | null;
  split: string | null;
  classNames: string[] | null;
  method: string;
  methodDescription: string;
  samples: number;
  epochs: number;
  suspects: Suspect[];
}

const METHODS = ['aum', 'forgetting', 'loss', 'combined'];

function name(classNames: string[] | null, k: number | undefined): string {
  if (k === undefined) return 'unknown';
  return classNames?.[k] ?? String(k);
}

export function Mislabels({ jobId, limit = 24 }: { jobId: string; limit?: number }) {
  const [method, setMethod] = useState('aum');
  const q = useQuery({
    queryKey: ['dynamics', jobId, method, limit],
    queryFn: ({ signal }) =>
      getJson<Dynamics>(
        `/v1/jobs/${encodeURIComponent(jobId)}/dynamics${query({ method, limit })}`,
        signal,
      ),
  });
  const d = q.data;
  return (
    <section aria-label="Suspected mislabels">
      <h2>Suspected mislabels</h2>
      <label>
        Ranking{' '}
        <select value={method} onChange={(e) => setMethod(e.target.value)}>
          {METHODS.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      {q.error && <p role="alert">{q.error.message}</p>}
      {d && (
        <>
          <p>
            {d.methodDescription} — {d.samples} training samples over {d.epochs} epochs; most
            suspicious first.
          </p>
          <ul className="gallery">
            {d.suspects.map((s) => (
              <li key={s.id} className="suspect">
                {d.dataset ? (
                  <AuthedImg
                    path={`/v1/datasets/${encodeURIComponent(d.dataset)}/examples/${encodeURIComponent(s.id)}`}
                    alt={`training sample ${s.id}`}
                    width={96}
                  />
                ) : null}
                <dl>
                  <dt>given</dt>
                  <dd>{name(d.classNames, s.label)}</dd>
                  <dt>predicted</dt>
                  <dd className={s.label !== s.predicted ? 'against' : undefined}>
                    {name(d.classNames, s.predicted)}
                  </dd>
                  <dt>sample</dt>
                  <dd>
                    #{s.id} (AUM {s.aum.toFixed(2)})
                  </dd>
                </dl>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export default function MislabelsPage() {
  const { jobId = '' } = useParams();
  return (
    <section>
      <h1>Training dynamics of job {jobId.slice(0, 8)}</h1>
      <Mislabels jobId={jobId} limit={60} />
    </section>
  );
}
