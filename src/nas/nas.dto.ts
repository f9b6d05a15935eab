import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { NasJobResult, TrialSummary } from './core/nas-report';

/** `GET /v1/nas/:id`: the job's state and, once it succeeded, the search's results. */
export class NasStatusDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'running' }) status!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) progressMessage!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) spec!: unknown;
  @ApiPropertyOptional({ type: [String], description: 'Objective names, e.g. accuracy, flops' })
  objectives?: string[];
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description:
      'The seed of the search: the one asked for, or the random one drawn at its start (null until then)',
  })
  seed!: number | null;
  @ApiPropertyOptional({ description: 'Trials finished (so far, while running)' }) trials?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description:
      'Finished trials by outcome: complete (feasible), infeasible (complete but over a measured budget such as latencyMs), pruned, failed; rejectedDraws: candidates over a params/FLOPs budget re-drawn before they became trials',
  })
  counts?: Record<string, number>;
  @ApiPropertyOptional({
    type: [String],
    description: 'The costs the Pareto front trades accuracy against (pareto.png plots the first)',
  })
  frontCosts?: string[];
  @ApiPropertyOptional({ description: 'completed | timeout | cancelled' }) stoppedBy?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The best feasible trial (never violates a constraint)',
  })
  best?: TrialSummary;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'Complete trials, best first (top 20): feasible ones by the objective, then infeasible ones (feasible: false) by constraint violation',
  })
  leaderboard?: TrialSummary[];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'Feasible complete trials not dominated in accuracy and frontCosts: the points pareto.json and pareto.png show',
  })
  paretoFront?: TrialSummary[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: 'Download URLs: paretoPng, paretoJson, trialsJson (null when not written)',
  })
  artifacts?: Record<string, string | null>;

  static from(
    job: {
      id: string;
      status: string;
      progress: number;
      progressMessage: string | null;
      error: string | null;
      spec: unknown;
      result: unknown;
    },
    stored: readonly string[],
    /** While the search runs: the result of the trials finished so far. */
    live: NasJobResult | undefined,
    seed: number | null,
  ): NasStatusDto {
    const dto: NasStatusDto = {
      id: job.id,
      status: job.status,
      progress: job.progress,
      progressMessage: job.progressMessage,
      error: job.error,
      spec: job.spec,
      seed,
    };
    const r = job.status === 'succeeded' ? (job.result as NasJobResult | null) : live;
    if (r) {
      Object.assign(dto, {
        objectives: r.objectives,
        trials: r.trials,
        counts: r.counts,
        frontCosts: r.frontCosts,
        ...(job.status === 'succeeded' && { stoppedBy: r.stoppedBy }),
        ...(r.best && { best: r.best }),
        leaderboard: r.leaderboard,
        paretoFront: r.paretoFront,
      });
    }
    const url = (name: string): string | null =>
      stored.includes(name) ? `/v1/jobs/${job.id}/artifacts/${name}` : null;
    dto.artifacts = {
      paretoPng: url('pareto.png'),
      paretoJson: url('pareto.json'),
      trialsJson: url('trials.json'),
    };
    return dto;
  }
}
