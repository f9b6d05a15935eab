/**
 * The trials table's filter language, parsed into clauses a repository turns into SQL parameters
 * (never into SQL text). Clauses are separated by `;` and all must hold:
 *   state=complete   number>=100   value<0.25   value1>=3   params.lr<=0.01   params.opt=adam
 * `value` is the first objective, `valueK` the K-th (0-based). Comparisons on params are numeric
 * when the literal is a number, otherwise the parameter's JSON value must equal the literal.
 */
import { ValidationError } from '../../platform/errors/domain-error';

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type FilterField =
  | { kind: 'state' }
  | { kind: 'number' }
  | { kind: 'value'; objective: number }
  | { kind: 'param'; name: string };

export interface FilterClause {
  field: FilterField;
  op: FilterOp;
  literal: string | number;
}

const TRIAL_STATES = ['running', 'complete', 'pruned', 'failed'];
const CLAUSE =
  /^\s*(state|number|value\d?|params\.[A-Za-z0-9_.:/-]{1,100})\s*(<=|>=|!=|=|<|>)\s*(.{1,200}?)\s*$/;

export function parseTrialFilter(raw: string | undefined): FilterClause[] {
  if (raw === undefined || raw.trim() === '') return [];
  if (raw.length > 2000) throw ValidationError.field('filter', 'must be at most 2000 characters');
  return raw
    .split(';')
    .filter((part) => part.trim() !== '')
    .map((part) => parseClause(part));
}

function parseClause(part: string): FilterClause {
  const m = CLAUSE.exec(part);
  if (!m)
    throw ValidationError.field(
      'filter',
      `"${part.slice(0, 60)}" is not a clause like state=complete, value<0.5 or params.lr<=0.01`,
    );
  const [, name, op, text] = m as unknown as [string, string, FilterOp, string];
  const number = Number(text);
  const numeric = text !== '' && Number.isFinite(number);
  if (name === 'state') {
    if (op !== '=' && op !== '!=')
      throw ValidationError.field('filter', 'state can only be compared with = or !=');
    if (!TRIAL_STATES.includes(text))
      throw ValidationError.field('filter', `state must be one of ${TRIAL_STATES.join(', ')}`);
    return { field: { kind: 'state' }, op, literal: text };
  }
  if (name === 'number' || name.startsWith('value')) {
    if (!numeric) throw ValidationError.field('filter', `${name} must be compared with a number`);
    const field: FilterField =
      name === 'number'
        ? { kind: 'number' }
        : { kind: 'value', objective: name === 'value' ? 0 : Number(name.slice(5)) };
    return { field, op, literal: number };
  }
  const param = name.slice('params.'.length);
  if (!numeric && op !== '=' && op !== '!=')
    throw ValidationError.field('filter', `params.${param} ${op} needs a number`);
  return { field: { kind: 'param', name: param }, op, literal: numeric ? number : text };
}

/**
 * Buckets of `width` consecutive trial numbers so that `count` trials give at most `points`
 * buckets (width 1 when they fit: every trial is its own point).
 */
export function bucketWidth(count: number, points: number): number {
  if (points < 1) throw ValidationError.field('points', 'must be at least 1');
  return Math.max(1, Math.ceil(count / points));
}
