/**
 * Ask/tell/report over REST for studies with runner `{type: "external"}`: a program outside the
 * service drives the study (Optuna's ask-and-tell interface). Command-runner studies are driven
 * by their `study` job and refuse these calls.
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError, ValidationError } from '../platform/errors/domain-error';
import { TellResult } from './core/study';
import { ReportDto, TellDto } from './dto/study-requests.dto';
import { TrialDto } from './dto/study-responses.dto';
import { StudiesRepository, StudyRow } from './storage/studies.repository';
import { trialDto } from './study-dto-mappers';
import { StudyLoader } from './study-loader';

@Injectable()
export class ExternalTrialsService {
  constructor(
    private readonly studies: StudiesRepository,
    private readonly loader: StudyLoader,
  ) {}

  async ask(principal: Principal, id: string): Promise<{ number: number; params: object }> {
    const { row, study } = await this.loader.load(principal.projectId, id);
    assertExternal(row);
    if (row.status !== 'running')
      throw new ConflictError(`study ${id} is ${row.status}; no more trials can be asked`);
    const trial = await study.askFromSpace();
    return { number: trial.number, params: { ...trial.params } };
  }

  async tell(principal: Principal, id: string, n: number, body: TellDto): Promise<TrialDto> {
    const { row, study } = await this.loader.load(principal.projectId, id);
    assertExternal(row);
    if (body.value !== undefined && body.values !== undefined)
      throw ValidationError.field('value', 'give value or values, not both');
    const values = body.values ?? (body.value === undefined ? undefined : [body.value]);
    const state = body.state ?? 'complete';
    if (state !== 'complete' && values !== undefined)
      throw ValidationError.field('values', `only a complete trial has values (state: ${state})`);
    const result: TellResult = { state, values, constraints: body.constraints };
    const told = await study.tell(n, result);
    if (row.max_trials !== null) await this.studies.completeWhenBudgetTold(id);
    return trialDto(told);
  }

  async report(
    principal: Principal,
    id: string,
    n: number,
    body: ReportDto,
  ): Promise<{ shouldPrune: boolean }> {
    const { row, study } = await this.loader.load(principal.projectId, id);
    assertExternal(row);
    if ((body.value === undefined) === (body.values === undefined))
      throw ValidationError.field('value', 'give exactly one of value or values');
    return study.report(n, body.values ?? (body.value as number), body.step);
  }
}

function assertExternal(row: StudyRow): void {
  if (row.config.runner.type !== 'external')
    throw new ConflictError(
      `study ${row.id} is driven by its command runner (job ${row.job_id}); ask/tell over REST is for studies with runner {type: "external"}`,
    );
}
