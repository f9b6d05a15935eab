/**
 * Job kind `nas`: a neural architecture search on a registered data set (what `POST /v1/nas`
 * queues; schema in nas.schema.ts). The job is the driver (NasSearch, nas-search.ts): each
 * candidate is a `nas-trial` child job (nas-trial.handler.ts). At the end it writes the
 * leaderboard, the Pareto front (JSON and PNG) and the best trial (nas-publish.ts).
 */
import { JobContext, JobHandler, SpecReference } from '../platform/jobs/job-handler';
import { NasJobResult } from './core/nas-report';
import type { NasJobSpec } from './core/nas-spec';
import { publishNasResult } from './nas-publish';
import { NasSearch } from './nas-search';
import { nasSpec } from './nas.schema';

export class NasJobHandler implements JobHandler<NasJobSpec, NasJobResult> {
  readonly kind = 'nas';
  readonly references: readonly SpecReference[] = [{ field: 'dataset', kind: 'dataset' }];
  readonly lane = 'coordinator' as const;

  constructor(private readonly search: NasSearch) {}

  validate(spec: unknown): NasJobSpec {
    return nasSpec.parse(spec);
  }

  async run(raw: NasJobSpec, ctx: JobContext): Promise<NasJobResult> {
    const run = await this.search.open(raw, ctx);
    const outcome = await this.search.drive(run, ctx);
    const result = await run.result(outcome.timedOut ? 'timeout' : 'completed');
    return publishNasResult(ctx, run.space, run.spec, result);
  }
}
