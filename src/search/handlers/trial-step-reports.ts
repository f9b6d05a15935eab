/**
 * A command trial's stdout as reports (Katib's StdOut metrics collector, command-protocol.ts
 * lines): every metric of a line with `step=N` becomes a job metric and, when all the study's
 * objectives are on the line, an intermediate value the pruner judges. Reports run one after
 * another in line order; the first error is kept for the end of the process.
 */
import { ConflictError } from '../../platform/errors/domain-error';
import { JobContext } from '../../platform/jobs/job-handler';
import { MetricCollector, parseMetricLine } from '../core/command-protocol';
import { Study } from '../core/study';

export interface StepReportTarget {
  study: Study;
  trialNumber: number;
  /** The study's objective metrics, in the order of its directions. */
  objectives: readonly string[];
  ctx: JobContext;
  /** True once the process is being stopped: later reports are dropped. */
  stopped: () => boolean;
  /** The pruner said stop. */
  prune: () => void;
}

export class TrialStepReports {
  private readonly collector = new MetricCollector();
  private reports: Promise<void> = Promise.resolve();
  private firstError: unknown;

  constructor(private readonly t: StepReportTarget) {}

  /** The last value of each metric printed so far (with or without a step). */
  get last(): Record<string, number> {
    return this.collector.last;
  }

  line(line: string): void {
    const parsed = parseMetricLine(line);
    if (!parsed) return;
    this.collector.add(parsed);
    const step = parsed.step;
    if (step === undefined) return;
    const { study, trialNumber, ctx } = this.t;
    const values = this.t.objectives.map((m) => parsed.metrics[m]);
    this.reports = this.reports
      .then(async () => {
        if (this.t.stopped()) return;
        for (const [name, value] of Object.entries(parsed.metrics))
          await ctx.metric(name, step, value);
        if (values.some((v) => v === undefined || Number.isNaN(v))) return;
        const { shouldPrune } = await study.report(trialNumber, values, step);
        if (shouldPrune) this.t.prune();
      })
      .catch((e: unknown) => {
        this.firstError ??= e;
      });
  }

  /**
   * Waits for the reports queued so far; rejects with the first error, except a ConflictError
   * (the trial was told meanwhile, by its driver: the outcome decides what stays).
   */
  async settled(): Promise<void> {
    await this.reports;
    if (this.firstError !== undefined && !(this.firstError instanceof ConflictError))
      throw this.firstError;
  }
}
