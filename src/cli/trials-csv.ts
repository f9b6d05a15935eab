/**
 * A study's trials as CSV, one row per trial, in the spirit of Optuna's
 * `Study.trials_dataframe()`: number, state, one column per objective (named by the study's
 * metrics), `params_<name>` and `user_attrs_<name>` columns (the union over the trials, sorted),
 * start and finish times and the duration in seconds. Quoting follows RFC 4180.
 */
export interface CsvTrial {
  number: number;
  state: string;
  params: Record<string, unknown>;
  values: number[] | null;
  userAttrs: Record<string, unknown>;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export function trialsCsv(metrics: readonly string[], trials: readonly CsvTrial[]): string {
  const params = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const attrs = [...new Set(trials.flatMap((t) => Object.keys(t.userAttrs)))].sort();
  const objectives = metrics.length > 0 ? metrics : ['value'];
  const header = [
    'number',
    'state',
    ...objectives.map((m) => `value_${m}`),
    ...params.map((p) => `params_${p}`),
    ...attrs.map((a) => `user_attrs_${a}`),
    'datetime_start',
    'datetime_complete',
    'duration_s',
  ];
  const rows = trials.map((t) => {
    const start = t.startedAt ? Date.parse(t.startedAt) : NaN;
    const end = t.finishedAt ? Date.parse(t.finishedAt) : NaN;
    return [
      t.number,
      t.state,
      ...objectives.map((_, i) => t.values?.[i]),
      ...params.map((p) => t.params[p]),
      ...attrs.map((a) => t.userAttrs[a]),
      t.startedAt,
      t.finishedAt,
      Number.isFinite(start) && Number.isFinite(end) ? (end - start) / 1000 : undefined,
    ];
  });
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
