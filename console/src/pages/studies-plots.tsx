import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { query } from '../api/client';
import { HISTORY_PATH, plotQuery } from '../api/study-queries';
import type { StudySummary } from '../api/studies';
import { EChart } from '../charts/echart';
import { contourOption, type ContourData } from '../charts/options/contour';
import { edfOption } from '../charts/options/edf';
import { historyOption, type HistoryData } from '../charts/options/history';
import { importanceOption } from '../charts/options/importance';
import { intermediateOption, type IntermediateTrial } from '../charts/options/intermediate';
import { parallelOption, type ParallelData } from '../charts/options/parallel';
import { paretoOption, type ParetoPoint } from '../charts/options/pareto';
import { sliceOption, type SliceData } from '../charts/options/slice';
import { timelineOption, type TimelineTrial } from '../charts/options/timeline';

function useStudyData<T>(id: string, path: string, enabled = true) {
  return useQuery(plotQuery<T>(id, path, enabled));
}

/**
 * The first plot the page waits for. It is mounted before the study's summary arrives, with its
 * empty frame drawn while the data loads (see EChart's `placeholder`).
 */
export function HistoryPlot({
  studyId,
  metric = 'objective',
  onRendered,
}: {
  studyId: string;
  metric?: string;
  onRendered?: () => void;
}) {
  const h = useStudyData<HistoryData & { complete: number }>(studyId, HISTORY_PATH);
  const option = useMemo(() => (h.data ? historyOption(h.data, metric) : null), [h.data, metric]);
  const placeholder = useMemo(
    () => historyOption({ points: [], best: [], direction: 'minimize' }, metric),
    [metric],
  );
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Optimisation history</h2>
      <EChart
        option={option}
        placeholder={placeholder}
        testId="history-chart"
        onRendered={onRendered}
        label="objective value per trial with the best so far"
        summary={
          h.data
            ? `${h.data.points.length} points from ${h.data.complete} complete trials`
            : undefined
        }
      />
    </section>
  );
}

export function SecondaryPlots({ s }: { s: StudySummary }) {
  const names = Object.keys(s.params);
  const [sliceParam, setSliceParam] = useState(names[0] ?? '');
  const [cx, setCx] = useState(names[0] ?? '');
  const [cy, setCy] = useState(names[1] ?? '');
  const single = s.directions.length === 1;
  const enough = s.counts.complete >= 4;
  const imp = useStudyData<{ importance: Record<string, number> }>(
    s.id,
    'importance/cached',
    single && enough,
  );
  const edf = useStudyData<{ points: { v: number; p: number }[] }>(s.id, 'edf?points=200');
  const slice = useStudyData<SliceData>(
    s.id,
    `params/${encodeURIComponent(sliceParam)}/slice?points=60`,
    !!sliceParam,
  );
  const contour = useStudyData<ContourData>(
    s.id,
    `contour${query({ x: cx, y: cy, bins: 25 })}`,
    !!cx && !!cy && cx !== cy,
  );
  const parallel = useStudyData<ParallelData>(s.id, 'parallel?top=50&sample=300');
  const inter = useStudyData<{ trials: IntermediateTrial[] }>(s.id, 'intermediate?limit=50');
  const timeline = useStudyData<{ trials: TimelineTrial[] }>(s.id, 'timeline?limit=300');
  const pareto = useStudyData<{ front: ParetoPoint[]; others: ParetoPoint[] }>(
    s.id,
    'pareto',
    !single,
  );
  const objective = s.metrics[0] ?? 'objective';
  const select = (label: string, value: string, set: (v: string) => void) => (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => set(e.target.value)}>
        {names.map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="plots">
      {!single && (
        <section aria-labelledby="pareto-heading">
          <h2 id="pareto-heading">Pareto front</h2>
          <EChart
            option={
              pareto.data
                ? paretoOption(pareto.data, [
                    s.metrics[0] ?? 'objective 0',
                    s.metrics[1] ?? 'objective 1',
                  ])
                : null
            }
            label="Pareto front; infeasible trials as grey triangles"
          />
        </section>
      )}
      {single && (
        <section aria-labelledby="importance-heading">
          <h2 id="importance-heading">Parameter importance</h2>
          {enough ? (
            <EChart
              option={imp.data ? importanceOption(imp.data.importance) : null}
              label="parameter importance"
              height={200}
            />
          ) : (
            <p>Needs at least 4 complete trials.</p>
          )}
        </section>
      )}
      <section aria-labelledby="parallel-heading">
        <h2 id="parallel-heading">Parallel coordinates</h2>
        <EChart
          option={parallel.data ? parallelOption(parallel.data, objective) : null}
          label="parallel coordinates of the best trials and a sample"
        />
      </section>
      <section aria-labelledby="slice-heading">
        <h2 id="slice-heading">Slice</h2>
        {select('Parameter', sliceParam, setSliceParam)}
        <EChart
          option={slice.data ? sliceOption(slice.data, objective) : null}
          label={`objective against ${sliceParam}`}
        />
      </section>
      <section aria-labelledby="contour-heading">
        <h2 id="contour-heading">Contour</h2>
        {select('x', cx, setCx)} {select('y', cy, setCy)}
        {names.length < 2 ? (
          <p>Needs two parameters.</p>
        ) : (
          <EChart
            option={contour.data ? contourOption(contour.data) : null}
            label={`best objective over ${cx} and ${cy}`}
          />
        )}
      </section>
      <section aria-labelledby="intermediate-heading">
        <h2 id="intermediate-heading">Intermediate values</h2>
        {inter.data?.trials.length ? (
          <EChart
            option={intermediateOption(inter.data.trials)}
            label="learning curves; pruned trials dashed"
          />
        ) : (
          <p>No trial reported intermediate values.</p>
        )}
      </section>
      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <EChart
          option={timeline.data ? timelineOption(timeline.data.trials, Date.now()) : null}
          label="trial start and end times by state"
        />
      </section>
      <section aria-labelledby="edf-heading">
        <h2 id="edf-heading">Empirical distribution</h2>
        <EChart
          option={
            edf.data ? edfOption([{ name: s.name, points: edf.data.points }], objective) : null
          }
          label="empirical distribution function of the objective"
        />
      </section>
    </div>
  );
}
