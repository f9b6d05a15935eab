/** JSON Lines text classification data: one `{"text": string, "label": string | number}` per line. */
import { Dataset, ProblemCollector, indexLabels, unprocessable } from './dataset';

export interface JsonlOptions {
  /** Class order; default numeric order of numeric labels, else lexicographic. */
  classNames?: readonly string[];
}

export function parseJsonl(text: string, file: string, options: JsonlOptions = {}): Dataset {
  const problems = new ProblemCollector();
  const texts: string[] = [];
  const rawLabels: string[] = [];
  const lines: number[] = [];
  const all = text.split(/\r?\n/);
  all.forEach((raw, i) => {
    const line = i + 1;
    const where = `${file}:${line}`;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      problems.add(where, `not valid JSON (${(err as Error).message})`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.add(where, 'expected an object {"text": ..., "label": ...}');
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.text !== 'string') {
      problems.add(where, '"text" must be a string');
      return;
    }
    const label = record.label;
    if (
      !(typeof label === 'string' && label.trim() !== '') &&
      !(typeof label === 'number' && Number.isFinite(label))
    ) {
      problems.add(where, '"label" must be a non-empty string or a number');
      return;
    }
    texts.push(record.text);
    rawLabels.push(String(label).trim());
    lines.push(line);
  });
  problems.throwIfAny(`${file} is not valid JSONL`);
  if (texts.length === 0) throw unprocessable(file, 'the JSONL file has no records');
  const { labels, classNames } = indexLabels(
    rawLabels,
    (i) => `${file}:${lines[i]}`,
    options.classNames,
  );
  return new Dataset({ kind: 'text', texts }, labels, classNames);
}
