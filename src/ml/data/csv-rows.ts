/**
 * Numeric feature rows from a CSV file, for predicting or explaining with a tabular model (the
 * labelled data set parser is csv.ts).
 */
import { UnprocessableError } from '../../platform/errors/domain-error';
import { splitCsv } from './csv';

export interface CsvRows {
  featureNames: string[];
  rows: number[][];
  /** Values of the label column, when the file has one. */
  labels: string[] | null;
}

export interface CsvRowsOptions {
  /** Features the model takes; null: any width. */
  width: number | null;
  /** The label column by name or 0-based index; default the last column when the file has one
   *  column more than the model takes. */
  labelColumn?: string;
  /** true: the first line is a header; false: it is data; 'auto' (default): a header when one of
   *  its cells is not a number (numeric column names need `true`). */
  header?: boolean | 'auto';
}

/**
 * Numeric rows of a CSV for a model: the one reader behind `autodl models predict --rows` and
 * `autodl explain --data`, so both take the same files (header or not, label column or not).
 */
export function readCsvRows(text: string, file: string, options: CsvRowsOptions): CsvRows {
  const { width, labelColumn } = options;
  const records = splitCsv(text, file);
  if (records.length === 0) throw csvError(file, 'the CSV file is empty');
  const isNumber = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));
  const first = records[0].fields;
  const hasHeader =
    options.header === undefined || options.header === 'auto'
      ? first.some((f) => !isNumber(f))
      : options.header;
  const names = hasHeader ? first.map((f) => f.trim()) : first.map((_, i) => `x${i}`);
  const body = hasHeader ? records.slice(1) : records;
  if (body.length === 0) throw csvError(file, 'the CSV file has a header but no data rows');
  let label = -1;
  if (labelColumn !== undefined) {
    label = /^\d+$/.test(labelColumn) ? Number(labelColumn) : names.indexOf(labelColumn);
    if (label < 0 || label >= names.length) {
      throw csvError(
        file,
        `label column ${labelColumn} is not one of the ${names.length} columns (${names.join(', ')})`,
      );
    }
  } else if (width !== null && names.length === width + 1) label = names.length - 1;
  const featureCount = names.length - (label >= 0 ? 1 : 0);
  if (width !== null && featureCount !== width) {
    throw csvError(
      file,
      `has ${featureCount} feature columns (${names.filter((_, c) => c !== label).join(', ')}) but the model takes ${width} features` +
        (label < 0 ? ' (plus an optional label column)' : ''),
    );
  }
  const rows: number[][] = [];
  const labels: string[] = [];
  for (const r of body) {
    if (r.fields.length !== names.length) {
      throw csvError(
        `${file}:${r.line}`,
        `has ${r.fields.length} fields, the header has ${names.length}`,
      );
    }
    const row: number[] = [];
    r.fields.forEach((f, c) => {
      if (c === label) return labels.push(f.trim());
      if (!isNumber(f))
        throw csvError(`${file}:${r.line}`, `column ${names[c]} is not a number: "${f}"`);
      row.push(Number(f));
    });
    rows.push(row);
  }
  return {
    featureNames: names.filter((_, c) => c !== label),
    rows,
    labels: label >= 0 ? labels : null,
  };
}

function csvError(field: string, message: string): UnprocessableError {
  return new UnprocessableError(`${field}: ${message}`, [{ field, message }]);
}
