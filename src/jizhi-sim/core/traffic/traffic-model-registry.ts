import { SpecReader } from '../pipeline-spec-reader';
import { DiurnalTraffic } from './diurnal';
import { MmppTraffic } from './mmpp';
import { PoissonTraffic } from './poisson';
import { ReplayTraffic, parseTraceCsv } from './replay';
import { TrafficModel } from './traffic-model';

export const TRAFFIC_MODELS = ['poisson', 'diurnal', 'mmpp', 'replay'] as const;
export type TrafficModelName = (typeof TRAFFIC_MODELS)[number];

/** Traffic as it appears in API requests and tune files. */
export type TrafficSpec =
  | { model: 'poisson'; rateRps: number }
  | { model: 'diurnal'; meanRps: number; amplitude: number; periodS: number; phaseS?: number }
  | { model: 'mmpp'; rates: number[]; meanDwellS: number[] }
  | { model: 'replay'; timestampsS?: number[]; csv?: string; loop?: boolean };

/**
 * Validate a traffic spec and return a factory of fresh model instances (one per run).
 * Throws ValidationError naming each bad field under `field`.
 */
export function readTraffic(raw: unknown, field = 'traffic'): () => TrafficModel {
  const r = new SpecReader();
  const factory = readTrafficInto(r, raw, field);
  r.check('traffic');
  if (!factory) throw new Error('unreachable: traffic reader returned nothing without problems');
  return factory;
}

export function readTrafficInto(
  r: SpecReader,
  raw: unknown,
  field: string,
): (() => TrafficModel) | undefined {
  const o = r.object(raw, field);
  if (!o) return undefined;
  const model = r.oneOf(o.model, `${field}.model`, TRAFFIC_MODELS);
  const build = (f: () => TrafficModel): (() => TrafficModel) | undefined => {
    try {
      f();
      return f;
    } catch (e) {
      r.fail(field, e instanceof Error ? e.message : String(e));
      return undefined;
    }
  };
  switch (model) {
    case 'poisson': {
      const rate = r.number(o.rateRps, `${field}.rateRps`, { min: 0, exclusiveMin: true });
      return rate === undefined ? undefined : build(() => new PoissonTraffic(rate));
    }
    case 'diurnal': {
      const mean = r.number(o.meanRps, `${field}.meanRps`, { min: 0, exclusiveMin: true });
      const amp = r.number(o.amplitude, `${field}.amplitude`, { min: 0, max: 1 });
      const period = r.number(o.periodS, `${field}.periodS`, { min: 0, exclusiveMin: true });
      const phase = r.optionalNumber(o.phaseS, `${field}.phaseS`, 0);
      if (mean === undefined || amp === undefined || period === undefined) return undefined;
      return build(() => new DiurnalTraffic(mean, amp, period, phase));
    }
    case 'mmpp': {
      const rates = numberList(r, o.rates, `${field}.rates`, 0, false);
      const dwell = numberList(r, o.meanDwellS, `${field}.meanDwellS`, 0, true);
      if (!rates || !dwell) return undefined;
      if (rates.length !== dwell.length) {
        r.fail(
          `${field}.meanDwellS`,
          `must have one entry per rate (${rates.length}), got ${dwell.length}`,
        );
        return undefined;
      }
      return build(() => new MmppTraffic(rates, dwell));
    }
    case 'replay': {
      const loop = o.loop === true;
      let ts: number[] | undefined;
      if (o.csv !== undefined) {
        if (typeof o.csv !== 'string') {
          r.fail(`${field}.csv`, 'must be a string of CSV text');
          return undefined;
        }
        try {
          ts = parseTraceCsv(o.csv);
        } catch (e) {
          r.fail(`${field}.csv`, e instanceof Error ? e.message : String(e));
          return undefined;
        }
      } else {
        ts = numberList(r, o.timestampsS, `${field}.timestampsS`, 0, false);
      }
      if (!ts) return undefined;
      const trace = ts;
      return build(() => new ReplayTraffic(trace, loop));
    }
    default:
      return undefined;
  }
}

function numberList(
  r: SpecReader,
  raw: unknown,
  field: string,
  min: number,
  exclusive: boolean,
): number[] | undefined {
  const arr = r.array(raw, field);
  if (!arr) return undefined;
  if (arr.length === 0) {
    r.fail(field, 'must not be empty');
    return undefined;
  }
  const out: number[] = [];
  for (let i = 0; i < arr.length; i++) {
    const v = r.number(arr[i], `${field}[${i}]`, { min, exclusiveMin: exclusive });
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}
