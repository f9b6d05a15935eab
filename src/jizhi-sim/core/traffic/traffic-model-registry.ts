import { specSchema } from '../../../platform/validation/spec-schema';
import { TrafficSchema } from '../pipeline-schema';
import { Problems } from '../problems';
import { DiurnalTraffic } from './diurnal';
import { MmppTraffic } from './mmpp';
import { PoissonTraffic } from './poisson';
import { ReplayTraffic, parseTraceCsv } from './replay';
import { TrafficModel } from './traffic-model';

export const TRAFFIC_MODELS = ['poisson', 'diurnal', 'mmpp', 'replay'] as const;
export type TrafficModelName = (typeof TRAFFIC_MODELS)[number];

/**
 * Traffic as it appears in API requests and tune files (its schema, with ranges and defaults:
 * ../pipeline-schema.ts).
 */
export type TrafficSpec =
  | { model: 'poisson'; rateRps: number }
  | { model: 'diurnal'; meanRps: number; amplitude: number; periodS: number; phaseS?: number }
  | { model: 'mmpp'; rates: number[]; meanDwellS: number[] }
  | { model: 'replay'; timestampsS?: number[]; csv?: string; loop?: boolean };

const trafficSchema = specSchema(TrafficSchema);

/**
 * A factory of fresh model instances (one per run) for a traffic spec, checked against its
 * schema first (unknown keys included, as for REST). Checks what the schema cannot (one dwell
 * time per rate, a trace given one way and readable, each model's own rules) and throws a
 * ValidationError naming each bad field under `field`.
 */
export function trafficFactory(raw: TrafficSpec, field = 'traffic'): () => TrafficModel {
  const spec = trafficSchema.parse(raw, field) as TrafficSpec;
  const r = new Problems();
  const build = (f: () => TrafficModel): (() => TrafficModel) => {
    try {
      f();
    } catch (e) {
      r.fail(field, e instanceof Error ? e.message : String(e));
    }
    return f;
  };
  let factory: () => TrafficModel;
  switch (spec.model) {
    case 'poisson':
      factory = build(() => new PoissonTraffic(spec.rateRps));
      break;
    case 'diurnal':
      factory = build(
        () => new DiurnalTraffic(spec.meanRps, spec.amplitude, spec.periodS, spec.phaseS ?? 0),
      );
      break;
    case 'mmpp':
      if (spec.rates.length !== spec.meanDwellS.length)
        r.fail(
          `${field}.meanDwellS`,
          `must have one entry per rate (${spec.rates.length}), got ${spec.meanDwellS.length}`,
        );
      r.check('traffic');
      factory = build(() => new MmppTraffic(spec.rates, spec.meanDwellS));
      break;
    case 'replay': {
      const trace = replayTrace(r, spec, field);
      factory = build(() => new ReplayTraffic(trace, spec.loop ?? false));
      break;
    }
  }
  r.check('traffic');
  return factory;
}

function replayTrace(
  r: Problems,
  spec: Extract<TrafficSpec, { model: 'replay' }>,
  field: string,
): number[] {
  if (spec.csv === undefined && spec.timestampsS === undefined)
    r.fail(`${field}.timestampsS`, 'is required (or csv)');
  r.check('traffic');
  // A CSV trace wins over timestampsS, as it always has.
  if (spec.csv === undefined) return spec.timestampsS as number[];
  try {
    return parseTraceCsv(spec.csv);
  } catch (e) {
    r.fail(`${field}.csv`, e instanceof Error ? e.message : String(e));
    r.check('traffic');
    throw e;
  }
}
