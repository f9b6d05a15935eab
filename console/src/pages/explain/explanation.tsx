// One explanation: LIME heatmaps over their images (image models), rules with weights (tabular),
// weighted tokens (text); NormLIME global bars per class, with image concepts shown on the image
// they come from.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { getJson } from '../../api/client';
import { EChart } from '../../charts/echart';
import { normLimeBarsOption } from '../../charts/options/normlime-bars';
import { isFinished } from '../../api/types';
import { JobActions } from '../../components/job-actions';
import { ProgressBar } from '../../components/progress';
import { ConceptOnImage, HeatmapOverlay } from './heatmap';
import type { Explanation, LimeResult, LocalExplanation, NormLimeResult } from './types';

const fmt = (v: number) => (Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(2));

function artifactPath(id: string, name: string): string {
  return `/v1/explanations/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`;
}

function Summary({ s }: { s: LimeResult['summary'] }) {
  return (
    <p>
      Mean fidelity (R² of the local model) {fmt(s.meanFidelity)} · AOPC {fmt(s.meanAopc)} vs{' '}
      {fmt(s.meanRandomAopc)} for random orderings (higher than random: the ranking is faithful).
    </p>
  );
}

function FeatureTable({ e, caption }: { e: LocalExplanation; caption: string }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Rule / feature</th>
          <th scope="col">Weight</th>
        </tr>
      </thead>
      <tbody>
        {e.features.slice(0, 15).map((f) => (
          <tr key={f.index}>
            <td>{f.name}</td>
            <td className={f.weight >= 0 ? 'for' : 'against'}>{fmt(f.weight)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Tokens({ e }: { e: LocalExplanation }) {
  const max = Math.max(...e.weights.map(Math.abs), 1e-12);
  return (
    <p className="tokens">
      {(e.tokens ?? []).map((t, i) => {
        const f = e.featureOfToken?.[i] ?? -1;
        const w = f >= 0 ? e.weights[f] / max : 0;
        const bg = w >= 0 ? `rgba(178,24,43,${w * 0.6})` : `rgba(33,102,172,${-w * 0.6})`;
        return (
          <span key={i} style={{ background: bg }} title={f >= 0 ? fmt(e.weights[f]) : undefined}>
            {t}{' '}
          </span>
        );
      })}
    </p>
  );
}

function LimeView({ id, r }: { id: string; r: LimeResult }) {
  return (
    <>
      <Summary s={r.summary} />
      {r.explanations.map((e) => {
        const caption = `instance ${e.instance}, explained class “${e.className}” (fidelity ${fmt(e.fidelity)})`;
        return (
          <section key={e.instance} aria-label={`Instance ${e.instance}`}>
            <h2>
              Instance {e.instance}: {e.className}
            </h2>
            {r.inputKind === 'image' && e.input && e.segments && e.width && e.height ? (
              <HeatmapOverlay
                input={artifactPath(id, e.input)}
                explanation={{
                  width: e.width,
                  height: e.height,
                  segments: e.segments,
                  weights: e.weights,
                }}
                caption={caption}
              />
            ) : null}
            {r.inputKind === 'text' && <Tokens e={e} />}
            <FeatureTable
              e={e}
              caption={r.inputKind === 'tabular' ? `Rules: ${caption}` : `Top features: ${caption}`}
            />
          </section>
        );
      })}
    </>
  );
}

function NormLimeView({ id, r }: { id: string; r: NormLimeResult }) {
  return (
    <>
      <Summary s={r.summary} />
      <p>
        NormLIME over {r.instances} instances: each feature’s importance for a class is its mean
        normalised LIME weight over the instances predicted as that class (Ahern et al. 2019).
      </p>
      <EChart
        option={normLimeBarsOption(r.overall, 'NormLIME: all classes')}
        label="NormLIME importance over all classes"
        height={Math.max(180, 24 * Math.min(15, r.overall.length) + 80)}
      />
      {r.classes
        .filter((c) => c.count > 0 && c.ranking.length > 0)
        .map((c) => (
          <EChart
            key={c.classIndex}
            option={normLimeBarsOption(c.ranking, `NormLIME: ${c.className} (${c.count})`)}
            label={`NormLIME importance for class ${c.className}`}
            height={Math.max(180, 24 * Math.min(15, c.ranking.length) + 80)}
          />
        ))}
      {r.concepts && r.concepts.length > 0 && (
        <section aria-label="Concepts">
          <h2>Concepts</h2>
          <p>
            Each concept is a cluster of similar superpixels; it is shown as its most typical
            superpixel on the image it comes from (the rest of the image dimmed).
          </p>
          <div className="gallery">
            {r.concepts.map((c) => (
              <ConceptOnImage
                key={c.feature}
                input={artifactPath(id, c.input)}
                width={c.width}
                height={c.height}
                segments={c.segments}
                segment={c.segment}
                caption={`${c.feature} (superpixel ${c.segment} of instance ${c.image})`}
              />
            ))}
          </div>
        </section>
      )}
    </>
  );
}

export default function ExplanationPage() {
  const { id = '' } = useParams();
  const q = useQuery({
    queryKey: ['explanation', id],
    queryFn: ({ signal }) =>
      getJson<Explanation>(`/v1/explanations/${encodeURIComponent(id)}`, signal),
    refetchInterval: (query) => {
      const s = query.state.data?.status;
      return s && !isFinished(s) ? 2_000 : false;
    },
  });
  const client = useQueryClient();
  const x = q.data;
  return (
    <section>
      <h1>Explanation {id.slice(0, 8)}</h1>
      {q.error && <p role="alert">{q.error.message}</p>}
      {x && (
        <>
          <p>
            {x.method === 'lime' ? 'LIME' : 'NormLIME'} of model <code>{x.model}</code> ·{' '}
            <span className={`status status-${x.status}`}>{x.status}</span>
          </p>
          {!isFinished(x.status) && <ProgressBar value={x.progress} label="explanation progress" />}
          {x.error && <p role="alert">{x.error}</p>}
          <JobActions
            job={x}
            noun="explanation"
            onChange={() => void client.invalidateQueries({ queryKey: ['explanation', id] })}
          />
          {x.result && x.method === 'lime' && <LimeView id={id} r={x.result as LimeResult} />}
          {x.result && x.method === 'normlime' && (
            <NormLimeView id={id} r={x.result as NormLimeResult} />
          )}
        </>
      )}
    </section>
  );
}
