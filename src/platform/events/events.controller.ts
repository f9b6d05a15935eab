import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { Response } from 'express';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/projects.service';
import { ValidationError } from '../errors/domain-error';
import { ApiProblems } from '../http/problem.dto';
import { JobsService } from '../jobs/jobs.service';
import { formatSse, fromRow as liveOf, LiveEvent, StreamFilter } from './live-event';
import { JobEventsHub } from './job-events.hub';
import { JobsRepository } from '../jobs/jobs.repository';

/** A comment line every 15 s keeps proxies and browsers from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;
/** At most this many events are replayed on resume; the client reads older ones over REST. */
const REPLAY_LIMIT = 5000;

export class StreamQuery {
  @ApiPropertyOptional({ description: 'Only this job', format: 'uuid' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: 'job must be a UUID',
  })
  job?: string;

  @ApiPropertyOptional({ description: 'Only jobs of this kind', example: 'sleep' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z][a-z0-9-]*$/, { message: 'kind must be lowercase letters, digits and dashes' })
  kind?: string;

  @ApiPropertyOptional({
    description:
      "Only this study's events instead of job events: `trials` (a trial started or finished) " +
      'and `study` (its status changed). Not resumable: read the study again on reconnect.',
    format: 'uuid',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: 'study must be a UUID',
  })
  study?: string;
}

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly hub: JobEventsHub,
    private readonly events: JobsRepository,
    private readonly jobs: JobsService,
  ) {}

  @Get('stream')
  @ApiOperation({
    summary: "Live events of the key's project (Server-Sent Events)",
    description:
      'Events `status` and `log` (job_events rows; their `id` resumes with Last-Event-ID), ' +
      "`progress` and `metric`; with `study`, that study's `trials` and `study` events instead. " +
      'A comment every 15 s keeps the connection open.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Replay the events after this id first',
  })
  @ApiOkResponse({ description: 'text/event-stream', schema: { type: 'string' } })
  @ApiProblems(400, 404)
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Query() query: StreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (lastEventId !== undefined && !/^\d{1,18}$/.test(lastEventId.trim()))
      throw ValidationError.field('Last-Event-ID', `must be an event id; got "${lastEventId}"`);
    if (query.job) await this.jobs.get(principal, query.job); // 404 outside the project
    const filter: StreamFilter = {
      projectId: principal.projectId,
      jobId: query.job,
      kind: query.kind,
      // Another project's study id matches nothing: its events carry that project's id.
      studyId: query.study,
    };
    let open = true;
    // What close() undoes, filled in once the stream is set up.
    const teardown: (() => void)[] = [];
    const close = (): void => {
      if (!open) return;
      open = false;
      for (const undo of teardown) undo();
    };
    // Listened for before the hub is awaited: a client that leaves while LISTEN is being set up
    // must still be torn down (else its heartbeat and subscription live on with the process).
    // The response's close is the connection's (this response never finishes by itself); the
    // request's may mean only that its body was read.
    res.on('close', close);
    // A client that left before this handler ran (during the key check, say) fired 'close'
    // already: nothing would call close() again, and the subscription would outlive it.
    if (res.destroyed || res.req.socket.destroyed) return close();
    const write = (text: string): void => {
      if (open && !res.writableEnded) res.write(text);
    };
    // Live events that arrive while the backlog is replayed wait here, so none is lost or doubled.
    let held: LiveEvent[] | null = [];
    const unsubscribe = await this.hub.subscribe(filter, (e) =>
      held ? held.push(e) : write(formatSse(e)),
    );
    if (!open) return unsubscribe();
    const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
    teardown.push(unsubscribe, () => clearInterval(heartbeat));
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    write('retry: 2000\n: connected\n\n');
    let replayedUpTo = 0n;
    try {
      // Study events are not stored: there is nothing to replay.
      if (lastEventId !== undefined && query.study === undefined) {
        const rows = await this.events.liveEventsAfter(filter, lastEventId.trim(), REPLAY_LIMIT);
        for (const e of rows.map((r) => liveOf(r))) {
          write(formatSse(e));
          replayedUpTo = BigInt(idOf(e) ?? '0');
        }
      }
    } finally {
      const backlog = held;
      held = null;
      for (const e of backlog) {
        const id = idOf(e);
        if (id === null || BigInt(id) > replayedUpTo) write(formatSse(e));
      }
    }
  }
}

function idOf(e: LiveEvent): string | null {
  return e.type === 'status' || e.type === 'log' ? e.id : null;
}
