/**
 * The declared search-space JSON shared by REST and CLI:
 * `{ name: { type: float|int|categorical, low, high, log?, step?, choices?, when? } }`.
 * `when: { other: value | [values] }` makes a parameter active only when every listed parameter is
 * active and takes one of the listed values.
 */
import { FieldProblem, ValidationError } from '../../platform/errors/domain-error';
import {
  CategoricalChoice,
  Distribution,
  ParamValue,
  categoricalDistribution,
  contains,
  floatDistribution,
  intDistribution,
} from './distributions';

export interface SpaceParam {
  name: string;
  distribution: Distribution;
  /** Parent name -> accepted values. Empty when unconditional. */
  when: Record<string, ParamValue[]>;
}

export interface SearchSpace {
  /** Parameters in an order where every parent comes before its children. */
  params: SpaceParam[];
}

const KNOWN_KEYS = new Set(['type', 'low', 'high', 'log', 'step', 'choices', 'when']);

/** Parses and validates a search space; throws one ValidationError listing every problem. */
export function parseSearchSpace(json: unknown, path = 'space'): SearchSpace {
  const problems: FieldProblem[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw ValidationError.field(path, 'must be an object mapping parameter names to definitions');
  }
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0)
    throw ValidationError.field(path, 'must declare at least one parameter');
  const parsed = new Map<string, SpaceParam>();
  for (const [name, def] of entries) {
    const p = `${path}.${name}`;
    try {
      parsed.set(name, parseParam(name, def, p));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      problems.push(...(e.problems.length ? e.problems : [{ field: p, message: e.message }]));
    }
  }
  for (const sp of parsed.values()) {
    for (const [parent, values] of Object.entries(sp.when)) {
      const field = `${path}.${sp.name}.when.${parent}`;
      const pd = parsed.get(parent);
      if (parent === sp.name)
        problems.push({ field, message: 'a parameter cannot depend on itself' });
      else if (!entries.some(([n]) => n === parent)) {
        problems.push({ field, message: `refers to undeclared parameter "${parent}"` });
      } else if (pd) {
        values.forEach((v, i) => {
          if (!contains(pd.distribution, v)) {
            problems.push({
              field: `${field}${values.length > 1 ? `[${i}]` : ''}`,
              message: `${JSON.stringify(v)} is not a possible value of "${parent}"`,
            });
          }
        });
      }
    }
  }
  if (problems.length) throw new ValidationError(summary(problems), problems);
  const ordered = topologicalOrder([...parsed.values()], path);
  return { params: ordered };
}

function parseParam(name: string, def: unknown, p: string): SpaceParam {
  if (typeof def !== 'object' || def === null || Array.isArray(def)) {
    throw ValidationError.field(p, 'must be an object with a "type"');
  }
  const d = def as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const k of Object.keys(d)) {
    if (!KNOWN_KEYS.has(k))
      problems.push({
        field: `${p}.${k}`,
        message: `unknown key (allowed: ${[...KNOWN_KEYS].join(', ')})`,
      });
  }
  const num = (k: string, required: boolean): number | undefined => {
    const v = d[k];
    if (v === undefined) {
      if (required) problems.push({ field: `${p}.${k}`, message: 'is required' });
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push({
        field: `${p}.${k}`,
        message: `must be a finite number, got ${JSON.stringify(v)}`,
      });
      return undefined;
    }
    return v;
  };
  if (d.log !== undefined && typeof d.log !== 'boolean') {
    problems.push({
      field: `${p}.log`,
      message: `must be a boolean, got ${JSON.stringify(d.log)}`,
    });
  }
  const when = parseWhen(d.when, `${p}.when`, problems);
  let distribution: Distribution | undefined;
  if (d.type === 'float' || d.type === 'int') {
    const low = num('low', true);
    const high = num('high', true);
    const step = num('step', false);
    for (const k of ['choices'])
      if (d[k] !== undefined)
        problems.push({ field: `${p}.${k}`, message: `not allowed for type ${d.type}` });
    if (problems.length === 0 && low !== undefined && high !== undefined) {
      const opts = { log: d.log === true, step };
      try {
        distribution =
          d.type === 'float'
            ? floatDistribution(low, high, opts, p)
            : intDistribution(low, high, opts, p);
      } catch (e) {
        if (e instanceof ValidationError) problems.push(...e.problems);
        else throw e;
      }
    }
  } else if (d.type === 'categorical') {
    for (const k of ['low', 'high', 'log', 'step'])
      if (d[k] !== undefined)
        problems.push({ field: `${p}.${k}`, message: 'not allowed for type categorical' });
    if (!Array.isArray(d.choices))
      problems.push({ field: `${p}.choices`, message: 'is required: a non-empty array' });
    else if (problems.length === 0) {
      try {
        distribution = categoricalDistribution(d.choices as CategoricalChoice[], p);
      } catch (e) {
        if (e instanceof ValidationError) problems.push(...e.problems);
        else throw e;
      }
    }
  } else {
    problems.push({
      field: `${p}.type`,
      message: `must be "float", "int" or "categorical", got ${JSON.stringify(d.type)}`,
    });
  }
  if (problems.length || !distribution) throw new ValidationError(summary(problems), problems);
  return { name, distribution, when };
}

function parseWhen(
  raw: unknown,
  p: string,
  problems: FieldProblem[],
): Record<string, ParamValue[]> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ field: p, message: 'must be an object {parameter: value | [values]}' });
    return {};
  }
  const out: Record<string, ParamValue[]> = {};
  for (const [parent, v] of Object.entries(raw as Record<string, unknown>)) {
    const values = Array.isArray(v) ? v : [v];
    if (values.length === 0)
      problems.push({ field: `${p}.${parent}`, message: 'must list at least one value' });
    const bad = values.find(
      (x) => x !== null && !['string', 'number', 'boolean'].includes(typeof x),
    );
    if (bad !== undefined)
      problems.push({
        field: `${p}.${parent}`,
        message: `values must be strings, numbers, booleans or null`,
      });
    out[parent] = values as ParamValue[];
  }
  return out;
}

function topologicalOrder(params: SpaceParam[], path: string): SpaceParam[] {
  const byName = new Map(params.map((p) => [p.name, p]));
  const out: SpaceParam[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: SpaceParam, chain: string[]): void => {
    const s = state.get(p.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      throw ValidationError.field(
        `${path}.${p.name}.when`,
        `cyclic condition: ${[...chain, p.name].join(' -> ')}`,
      );
    }
    state.set(p.name, 'visiting');
    for (const parent of Object.keys(p.when))
      visit(byName.get(parent) as SpaceParam, [...chain, p.name]);
    state.set(p.name, 'done');
    out.push(p);
  };
  for (const p of params) visit(p, []);
  return out;
}

function summary(problems: FieldProblem[]): string {
  return problems.map((q) => `${q.field}: ${q.message}`).join('; ');
}

/** Whether `param` is active given the values assigned so far to its parents. */
export function isActive(
  param: SpaceParam,
  assigned: Readonly<Record<string, ParamValue>>,
): boolean {
  for (const [parent, values] of Object.entries(param.when)) {
    if (!Object.hasOwn(assigned, parent)) return false;
    if (!values.some((v) => v === assigned[parent])) return false;
  }
  return true;
}

/** The unconditional parameters' distributions (a space every trial shares). */
export function unconditionalDistributions(space: SearchSpace): Record<string, Distribution> {
  const out: Record<string, Distribution> = {};
  for (const p of space.params) if (Object.keys(p.when).length === 0) out[p.name] = p.distribution;
  return out;
}
