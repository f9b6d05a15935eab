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

/** The streams a Progress draws on; a terminal's stdout and stderr by default. */
export interface ProgressStreams {
  out: { write(chunk: string): unknown };
  err: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
}

/** Carriage return + erase the whole line (ECMA-48 EL, parameter 2). */
const CLEAR_LINE = '\r\x1b[2K';
const BAR_WIDTH = 30;

/**
 * A progress bar on the last line of a terminal (stderr), with log lines (stdout) scrolling
 * above it: `log` clears the bar, prints the line, and redraws the bar, so the two never
 * interleave on one line. On a pipe, one line per change of the rounded percentage or message.
 */
export class Progress {
  private drawn = '';
  private lastLine = '';

  constructor(
    private readonly enabled: boolean,
    private readonly streams: ProgressStreams = { out: process.stdout, err: process.stderr },
  ) {}

  update(fraction: number, message: string): void {
    if (!this.enabled) return;
    const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    if (this.streams.err.isTTY) {
      this.draw(this.render(f, message));
    } else {
      const line = `${Math.round(f * 100)}% ${message}`;
      if (line !== this.lastLine) this.streams.err.write(line + '\n');
      this.lastLine = line;
    }
  }

  /** A log line above the bar (on stdout). */
  log(line: string): void {
    const bar = this.drawn;
    if (bar) this.streams.err.write(CLEAR_LINE);
    this.streams.out.write(line.endsWith('\n') ? line : line + '\n');
    if (bar) this.streams.err.write(bar);
  }

  /** Ends the bar: its last state stays on screen, and the cursor moves to a fresh line. */
  stop(): void {
    if (this.drawn) this.streams.err.write('\n');
    this.drawn = '';
  }

  private draw(bar: string): void {
    if (bar === this.drawn) return;
    this.streams.err.write(CLEAR_LINE + bar);
    this.drawn = bar;
  }

  /** `[#####-----]  42% | message`, cut to the terminal width so it never wraps. */
  private render(fraction: number, message: string): string {
    const filled = Math.round(fraction * BAR_WIDTH);
    const percent = `${Math.round(fraction * 100)}%`.padStart(4);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent} | ${message}`;
    // A pty without a window size (`script -c`, some CI runners) reports 0 columns: 80 then.
    const columns = this.streams.err.columns || 80;
    return line.length >= columns ? line.slice(0, Math.max(1, columns - 1)) : line;
  }
}
