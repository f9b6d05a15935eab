/** Trials as the API shows them: from a library FrozenTrial, or from a row of a SQL trials page. */
import { AUTO_CHOICE } from './core/samplers/auto';
import { FrozenTrial } from './core/trial';
import { TrialDto } from './dto/study-responses.dto';
import { TrialPageRow } from './storage/study-analytics.repository';

export function trialDto(t: FrozenTrial): TrialDto {
  return {
    number: t.number,
    state: t.state,
    params: t.params,
    values: t.values ?? null,
    constraints: t.constraints ?? null,
    intermediate: t.intermediate,
    userAttrs: t.userAttrs,
    sampler: typeof t.systemAttrs[AUTO_CHOICE] === 'string' ? t.systemAttrs[AUTO_CHOICE] : null,
    startedAt: new Date(t.startedAt).toISOString(),
    finishedAt: t.finishedAt === undefined ? null : new Date(t.finishedAt).toISOString(),
  };
}

export interface TrialRowDto {
  number: number;
  state: string;
  params: Record<string, unknown>;
  values: number[] | null;
  constraints: number[] | null;
  userAttrs: Record<string, unknown>;
  /** What `auto` chose for this trial (gp, tpe, cmaes, nsga2, nsga3), else null. */
  sampler: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export function trialRowDto(r: TrialPageRow): TrialRowDto {
  const started = new Date(r.started_at);
  const finished = r.finished_at ? new Date(r.finished_at) : null;
  return {
    number: r.number,
    state: r.state,
    params: r.params ?? {},
    values: r.values,
    constraints: r.constraints,
    userAttrs: r.user_attrs,
    sampler: r.sampler,
    startedAt: started.toISOString(),
    finishedAt: finished ? finished.toISOString() : null,
    durationMs: finished ? finished.getTime() - started.getTime() : null,
  };
}
