import { Readable } from 'node:stream';
import { Body, Controller, Get, Header, Param, Post, Query, StreamableFile } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { assertUuid } from '../platform/jobs/jobs.service';
import {
  ContourQuery,
  CreateNoteDto,
  LimitQuery,
  ObjectiveQuery,
  ParallelQuery,
  PointsQuery,
  TrialPageQueryDto,
} from './dto/study-console.dto';
import { StudyConsoleService } from './study-console.service';
import { StudyPlotsService } from './study-plots.service';

/**
 * Bounded, server-side aggregated views of a study for the console (and any client): a study
 * with 100k trials answers every route with at most a few thousand rows.
 */
@ApiTags('studies')
@ApiBearerAuth()
@Controller('v1/studies/:id')
export class StudyConsoleController {
  constructor(
    private readonly studies: StudyConsoleService,
    private readonly plots: StudyPlotsService,
  ) {}

  @Get('summary')
  @ApiOperation({ summary: 'Counts by state, best trial per objective, directions, parameters' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  summary(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    assertUuid(id);
    return this.studies.summary(p, id);
  }

  @Get('history')
  @ApiOperation({
    summary: 'Optimisation history: best-so-far and a min/max-per-bucket scatter (≤ 2·points dots)',
  })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  history(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: PointsQuery) {
    assertUuid(id);
    return this.studies.history(p, id, q.objective ?? 0, q.points ?? 500);
  }

  @Get('trials/page')
  @ApiOperation({ summary: 'One page of trials, sorted and filtered server-side' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  page(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: TrialPageQueryDto) {
    assertUuid(id);
    return this.studies.trials(p, id, q);
  }

  @Get('trials.csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiOperation({ summary: 'CSV of the trials that match the filter (same query as trials/page)' })
  @ApiProduces('text/csv')
  @ApiProblems(400, 404)
  async csv(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() q: TrialPageQueryDto,
  ): Promise<StreamableFile> {
    assertUuid(id);
    const lines = this.studies.csv(p, id, q);
    // The first line is produced before answering, so a bad filter or study is a 4xx, not a cut stream.
    const first = await lines.next();
    async function* all() {
      if (!first.done) yield first.value;
      yield* lines;
    }
    return new StreamableFile(Readable.from(all()), {
      disposition: `attachment; filename="study-${id}-trials.csv"`,
    });
  }

  @Get('params/:name/slice')
  @ApiOperation({ summary: 'Objective against one parameter: points when few, else bins' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  slice(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Param('name') name: string,
    @Query() q: PointsQuery,
  ) {
    assertUuid(id);
    return this.plots.slice(p, id, name, q.objective ?? 0, q.points ?? 50);
  }

  @Get('contour')
  @ApiOperation({ summary: 'Best objective per cell of a grid over two parameters' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  contour(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: ContourQuery) {
    assertUuid(id);
    return this.plots.contour(p, id, q.x, q.y, q.objective ?? 0, q.bins ?? 30);
  }

  @Get('parallel')
  @ApiOperation({ summary: 'Parallel coordinates: the best trials plus a uniform sample' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  parallel(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: ParallelQuery) {
    assertUuid(id);
    return this.plots.parallel(p, id, q.objective ?? 0, q.top ?? 100, q.sample ?? 400);
  }

  @Get('intermediate')
  @ApiOperation({ summary: 'Learning curves of the latest trials that reported (pruned marked)' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  intermediate(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: LimitQuery) {
    assertUuid(id);
    return this.plots.intermediate(p, id, Math.min(q.limit ?? 100, 500));
  }

  @Get('timeline')
  @ApiOperation({ summary: 'Start and end of an evenly spaced sample of trials' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  timeline(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: LimitQuery) {
    assertUuid(id);
    return this.plots.timeline(p, id, q.limit ?? 500);
  }

  @Get('edf')
  @ApiOperation({ summary: 'Empirical distribution function of the objective' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  edf(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: PointsQuery) {
    assertUuid(id);
    return this.plots.edf(p, id, q.objective ?? 0, q.points ?? 200);
  }

  @Get('pareto')
  @ApiOperation({ summary: 'Pareto front of feasible trials and a sample of the others' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404, 409)
  pareto(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    assertUuid(id);
    return this.plots.pareto(p, id);
  }

  @Get('importance/cached')
  @ApiOperation({
    summary: 'Parameter importance on a uniform sample of ≤2000 trials, cached per trial count',
  })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404, 409)
  importance(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() q: ObjectiveQuery,
  ) {
    assertUuid(id);
    return this.plots.importance(p, id, q.objective ?? 0);
  }

  @Get('notes')
  @ApiOperation({ summary: 'Notes on the study and its trials, oldest first' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  notes(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    assertUuid(id);
    return this.studies.notes(p, id);
  }

  @Post('notes')
  @ApiOperation({ summary: 'Add a note to the study, or to one trial with {trial}' })
  @ApiCreatedResponse({ schema: { type: 'object' } })
  @ApiProblems(400, 404)
  addNote(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: CreateNoteDto) {
    assertUuid(id);
    return this.studies.addNote(p, id, body.body, body.trial);
  }
}
