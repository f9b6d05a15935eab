import { SingleBar } from 'cli-progress';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Plain table for humans: columns padded to their widest cell. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  process.stdout.write(line(columns.map((c) => c.toUpperCase())) + '\n');
  for (const row of cells) process.stdout.write(line(row) + '\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A progress bar on a TTY; on a pipe, one line per change of message. */
export class Progress {
  private bar: SingleBar | null = null;
  private lastLine = '';

  constructor(private readonly enabled: boolean) {}

  update(fraction: number, message: string): void {
    if (!this.enabled) return;
    if (process.stderr.isTTY) {
      if (!this.bar) {
        this.bar = new SingleBar({
          format: '{bar} {percentage}% | {message}',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        });
        this.bar.start(1000, 0, { message });
      }
      this.bar.update(Math.round(fraction * 1000), { message });
    } else {
      const line = `${Math.round(fraction * 100)}% ${message}`;
      if (line !== this.lastLine) process.stderr.write(line + '\n');
      this.lastLine = line;
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
