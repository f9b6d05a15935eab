import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from './output';

/**
 * A terminal screen as a user sees it: stdout and stderr write to the same screen, `\r` returns
 * to column 0, `ESC[2K` erases the cursor's line, `\n` moves to a new line. Any other escape
 * sequence fails the test, so the renderer can only use these.
 */
class FakeTerminal {
  readonly lines: string[] = [''];
  private row = 0;
  private col = 0;
  constructor(readonly columns = 60) {}

  stream(isTTY: boolean) {
    return {
      isTTY,
      columns: this.columns,
      write: (chunk: string) => this.write(chunk),
    };
  }

  private write(chunk: string): boolean {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === '\r') this.col = 0;
      else if (c === '\n') {
        this.row++;
        this.col = 0;
        if (this.lines.length <= this.row) this.lines.push('');
      } else if (c === '\x1b') {
        const erase = '\x1b[2K';
        assert.ok(
          chunk.startsWith(erase, i),
          `unexpected escape ${JSON.stringify(chunk.slice(i, i + 6))}`,
        );
        this.lines[this.row] = '';
        i += erase.length - 1;
      } else {
        const line = this.lines[this.row].padEnd(this.col, ' ');
        this.lines[this.row] = line.slice(0, this.col) + c + line.slice(this.col + 1);
        this.col++;
      }
    }
    return true;
  }

  /** The screen without the trailing empty line the cursor may sit on. */
  get screen(): string[] {
    const out = [...this.lines];
    while (out.length && out[out.length - 1] === '') out.pop();
    return out;
  }
}

describe('Progress: the bar stays on the last line, log lines scroll above it', () => {
  test('on a TTY: log lines never share a line with the bar; the bar is redrawn last', () => {
    const term = new FakeTerminal();
    const bar = new Progress(true, { out: term.stream(true), err: term.stream(true) });
    bar.update(0.1, 'running - epoch 1/3');
    bar.log('12:00:01 info  epoch 1: loss 0.9');
    bar.update(0.5, 'running - epoch 2/3');
    bar.log('12:00:02 info  epoch 2: loss 0.5');
    bar.log('12:00:03 info  epoch 3: loss 0.2');
    bar.update(0.9, 'running - epoch 3/3');
    assert.deepEqual(term.screen.slice(0, 3), [
      '12:00:01 info  epoch 1: loss 0.9',
      '12:00:02 info  epoch 2: loss 0.5',
      '12:00:03 info  epoch 3: loss 0.2',
    ]);
    assert.equal(term.screen.length, 4, term.screen.join('\n'));
    assert.match(term.screen[3], /^\[#{27}-{3}\] {2}90% \| running - epoch 3\/3$/);
    bar.update(1, 'succeeded');
    bar.stop();
    assert.equal(term.screen.length, 4);
    assert.match(term.screen[3], /100% \| succeeded$/);
  });

  test('the bar is cut to the terminal width, so it never wraps onto a second line', () => {
    const term = new FakeTerminal();
    const bar = new Progress(true, { out: term.stream(true), err: term.stream(true) });
    bar.update(0.3, 'x'.repeat(200));
    bar.log('a log line');
    assert.equal(term.screen.length, 2);
    assert.ok(term.screen[1].length < term.columns);
  });

  test('a terminal that reports 0 columns (a pty without a window size) still gets the bar', () => {
    const term = new FakeTerminal(0);
    const bar = new Progress(true, { out: term.stream(true), err: term.stream(true) });
    bar.update(0.42, 'round 1/2');
    bar.log('a log line');
    assert.equal(term.screen.length, 2);
    assert.match(term.screen[1], /^\[#+-+\] +42% \| round 1\/2$/);
  });

  test('on a pipe: plain lines, one per change, no escape sequences', () => {
    const out: string[] = [];
    const err: string[] = [];
    const bar = new Progress(true, {
      out: { write: (s: string) => out.push(s) },
      err: { isTTY: false, write: (s: string) => err.push(s) },
    });
    bar.update(0.5, 'running');
    bar.update(0.501, 'running');
    bar.log('line');
    bar.update(1, 'succeeded');
    bar.stop();
    assert.deepEqual(err, ['50% running\n', '100% succeeded\n']);
    assert.deepEqual(out, ['line\n']);
  });
});
