/**
 * Pod output into job events: the worker container's log, followed line by line, in order. A
 * stream lasts as long as the container; the executor aborts the open ones when it stops.
 */
import { Writable } from 'node:stream';
import { describeError } from './api-errors';
import { WORKER_CONTAINER } from './core/job-spec';
import type { ExecutorState, Tracked } from './executor-state';

/** Longest pod log line kept in a job event; longer lines are cut (a progress bar, a tensor dump). */
const MAX_LOG_LINE = 4000;

export class PodLogs {
  private readonly streams = new Set<AbortController>();

  constructor(private readonly state: ExecutorState) {}

  /**
   * Copy the worker container's output of `podName` into job events. Started when the pod runs,
   * or when it has ended if the running state was never seen (short pods); `follow` either way.
   */
  stream(t: Tracked, podName: string): void {
    const state = this.state;
    if (!state.config.streamLogs || t.logPods.has(podName) || !state.running) return;
    t.logPods.add(podName);
    const sink = new LineSink((line) => state.event(t.jobId, 'info', `[${podName}] ${line}`));
    state.logs
      .log(t.namespace, podName, WORKER_CONTAINER, sink, { follow: true })
      .then((controller) => {
        this.streams.add(controller);
        sink.on('finish', () => this.streams.delete(controller));
      })
      .catch((err: unknown) =>
        state.event(
          t.jobId,
          'warn',
          `could not read the logs of pod ${podName}: ${describeError(err)}`,
        ),
      );
  }

  abortAll(): void {
    for (const c of this.streams) c.abort();
    this.streams.clear();
  }
}

class LineSink extends Writable {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {
    super();
  }

  override _write(
    chunk: Buffer | string,
    _enc: BufferEncoding,
    cb: (err?: Error | null) => void,
  ): void {
    const lines = (this.rest + chunk.toString()).split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.emitLine(l);
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.rest) this.emitLine(this.rest);
    this.rest = '';
    cb();
  }

  private emitLine(line: string): void {
    const trimmed = line.replace(/\r$/, '');
    if (trimmed)
      this.onLine(trimmed.length > MAX_LOG_LINE ? `${trimmed.slice(0, MAX_LOG_LINE)}…` : trimmed);
  }
}
