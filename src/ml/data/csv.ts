/**
 * Tabular CSV with a label column. The record splitter follows RFC 4180: fields may be quoted,
 * `""` inside quotes is a literal quote, quoted fields may span lines; CRLF and LF both end a
 * record. Every feature cell must be a finite number: no silent imputation.
 */
import { Dataset, ProblemCollector, indexLabels, unprocessable } from './dataset';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

/** Splits CSV text into records; blank lines are skipped. */
export function splitCsv(text: string, file: string, delimiter = ','): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0].trim() === '' && !fieldStarted)) {
      records.push({ line: recordLine, fields });
    }
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (field.trim() !== '') {
        throw unprocessable(
          `${file}:${line}`,
          'a quote may only start a field (wrap the whole field in quotes and double inner quotes)',
        );
      }
      field = '';
      quoted = true;
      fieldStarted = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }
  if (quoted) throw unprocessable(`${file}:${recordLine}`, 'unterminated quoted field');
  if (field !== '' || fields.length > 0 || fieldStarted) endRecord();
  return records;
}

export interface CsvOptions {
  /** Label column by header name or 0-based index; default the last column. */
  labelColumn?: string | number;
  /** Whether the first record is a header; `auto` (default): yes when the label column is named or a feature cell is not a number. */
  header?: boolean | 'auto';
  delimiter?: string;
  /** Class order; default numeric order of numeric labels, else lexicographic. */
  classNames?: readonly string[];
}

/** Parses a CSV of numeric features plus one label column into a tabular Dataset. */
export function parseCsv(text: string, file: string, options: CsvOptions = {}): Dataset {
  const records = splitCsv(text, file, options.delimiter ?? ',');
  if (records.length === 0) throw unprocessable(file, 'the CSV file is empty');
  const first = records[0];
  const hasHeader =
    options.header === 'auto' || options.header === undefined
      ? looksLikeHeader(first.fields, options.labelColumn)
      : options.header;
  const width = first.fields.length;
  const columnNames = hasHeader
    ? first.fields.map((f) => f.trim())
    : first.fields.map((_, i) => `column_${i}`);
  const labelIndex = resolveLabelColumn(options.labelColumn, columnNames, hasHeader, file);
  const body = hasHeader ? records.slice(1) : records;
  if (body.length === 0) throw unprocessable(file, 'the CSV file has a header but no data rows');
  if (width < 2)
    throw unprocessable(
      `${file}:${first.line}`,
      'need at least one feature column and a label column',
    );

  const featureNames = columnNames.filter((_, c) => c !== labelIndex);
  return tabularFromRecords(body, file, {
    width,
    labelIndex,
    columnNames,
    featureNames,
    classNames: options.classNames,
  });
}

interface TabularLayout {
  width: number;
  labelIndex: number;
  columnNames: readonly string[];
  featureNames: readonly string[];
  classNames?: readonly string[];
  /** Label values as class names (sklearn files store targets 0..k-1 and list names apart). */
  labelNames?: readonly string[];
}

function tabularFromRecords(
  body: readonly CsvRecord[],
  file: string,
  layout: TabularLayout,
): Dataset {
  const { width, labelIndex, columnNames } = layout;
  const problems = new ProblemCollector();
  const rows: number[][] = [];
  const rawLabels: string[] = [];
  const lines: number[] = [];
  for (const record of body) {
    const where = `${file}:${record.line}`;
    if (record.fields.length !== width) {
      problems.add(where, `has ${record.fields.length} columns, expected ${width}`);
      continue;
    }
    const row: number[] = [];
    record.fields.forEach((cell, c) => {
      if (c === labelIndex) return;
      const value = Number(cell.trim());
      if (cell.trim() === '' || !Number.isFinite(value)) {
        problems.add(
          where,
          `column ${c + 1} ("${columnNames[c]}"): ${JSON.stringify(cell)} is not a number`,
        );
      }
      row.push(value);
    });
    const label = record.fields[labelIndex].trim();
    if (label === '') problems.add(where, `label column "${columnNames[labelIndex]}" is empty`);
    rows.push(row);
    rawLabels.push(label);
    lines.push(record.line);
  }
  problems.throwIfAny(`${file} is not a valid tabular CSV`);
  const where = (i: number): string => `${file}:${lines[i]}`;
  if (layout.labelNames !== undefined) {
    const ids = layout.labelNames.map((_, i) => String(i));
    const { labels } = indexLabels(rawLabels, where, ids);
    return new Dataset(
      { kind: 'tabular', featureNames: layout.featureNames, rows },
      labels,
      layout.labelNames,
    );
  }
  const { labels, classNames } = indexLabels(rawLabels, where, layout.classNames);
  return new Dataset(
    { kind: 'tabular', featureNames: layout.featureNames, rows },
    labels,
    classNames,
  );
}

function resolveLabelColumn(
  labelColumn: string | number | undefined,
  columnNames: string[],
  hasHeader: boolean,
  file: string,
): number {
  if (labelColumn === undefined) return columnNames.length - 1;
  if (typeof labelColumn === 'number') {
    if (!Number.isInteger(labelColumn) || labelColumn < 0 || labelColumn >= columnNames.length) {
      throw unprocessable(
        file,
        `label column index ${labelColumn} is outside [0, ${columnNames.length - 1}]`,
      );
    }
    return labelColumn;
  }
  if (!hasHeader)
    throw unprocessable(
      file,
      `label column "${labelColumn}" was named but the file has no header row`,
    );
  const index = columnNames.indexOf(labelColumn);
  if (index < 0) {
    throw unprocessable(
      file,
      `label column "${labelColumn}" is missing; columns are ${JSON.stringify(columnNames)}`,
    );
  }
  return index;
}

/** A named label column implies a header; else a header has a non-numeric feature cell. */
function looksLikeHeader(
  fields: readonly string[],
  labelColumn: string | number | undefined,
): boolean {
  if (typeof labelColumn === 'string') return true;
  const labelIndex = labelColumn ?? fields.length - 1;
  return fields.some((f, i) => i !== labelIndex && !isNumber(f));
}

function isNumber(cell: string): boolean {
  const t = cell.trim();
  return t !== '' && Number.isFinite(Number(t));
}

/**
 * The CSV layout of scikit-learn's bundled data sets (sklearn/datasets/_base.py `load_csv_data`):
 * first line `n_samples,n_features,class_name_0,...`, then rows of n_features values and an integer
 * target. Counts in the header are checked against the body.
 */
export function parseSklearnCsv(
  text: string,
  file: string,
  featureNames: readonly string[],
): Dataset {
  const records = splitCsv(text, file);
  if (records.length === 0) throw unprocessable(file, 'the CSV file is empty');
  const [head, ...body] = records;
  const nSamples = Number(head.fields[0]);
  const nFeatures = Number(head.fields[1]);
  if (!Number.isInteger(nSamples) || !Number.isInteger(nFeatures)) {
    throw unprocessable(
      `${file}:${head.line}`,
      'expected a header line "n_samples,n_features,class names..."',
    );
  }
  if (nFeatures !== featureNames.length) {
    throw unprocessable(
      `${file}:${head.line}`,
      `declares ${nFeatures} features, expected ${featureNames.length}`,
    );
  }
  if (body.length !== nSamples) {
    throw unprocessable(file, `header declares ${nSamples} samples, file has ${body.length}`);
  }
  const labelNames = head.fields.slice(2).map((f) => f.trim());
  const width = nFeatures + 1;
  return tabularFromRecords(body, file, {
    width,
    labelIndex: nFeatures,
    columnNames: [...featureNames, 'target'],
    featureNames,
    labelNames: labelNames.length > 0 ? labelNames : undefined,
  });
}

/** A headerless CSV whose last column is an integer target (sklearn's digits.csv.gz). */
export function parseHeaderlessCsv(
  text: string,
  file: string,
  featureNames: readonly string[],
  labelNames: readonly string[],
): Dataset {
  const body = splitCsv(text, file);
  if (body.length === 0) throw unprocessable(file, 'the CSV file is empty');
  return tabularFromRecords(body, file, {
    width: featureNames.length + 1,
    labelIndex: featureNames.length,
    columnNames: [...featureNames, 'target'],
    featureNames,
    labelNames,
  });
}
