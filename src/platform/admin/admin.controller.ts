import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.guard';
import { IdentityService } from '../auth/identity.service';
import type { Principal } from '../auth/projects.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ApiProblems } from '../http/problem.dto';
import { QueueStatsRepository } from '../jobs/queue-stats.repository';

/** A worker counts as seen when it heartbeat a running job within this time. */
const SEEN_WITHIN_MS = 60_000;

class QueueCountDto {
  @ApiProperty({ example: 'sleep' }) kind!: string;
  @ApiProperty({ example: 'queued' }) status!: string;
  @ApiProperty() count!: number;
}

class SeenWorkerDto {
  @ApiProperty({ description: 'host:pid:nonce' }) worker!: string;
  @ApiProperty({ type: String, nullable: true, example: 'local' }) executor!: string | null;
  @ApiProperty({ description: 'Running jobs' }) jobs!: number;
  @ApiProperty({ type: [String] }) kinds!: string[];
  @ApiProperty({ type: String, format: 'date-time' }) lastHeartbeatAt!: Date;
}

class PoolDto {
  @ApiProperty({ description: 'Compute worker processes of this API (AUTODL_WORKERS)' })
  workers!: number;
  @ApiProperty({ description: 'Coordinator worker processes (AUTODL_COORDINATORS)' })
  coordinators!: number;
}

export class QueueOverviewDto {
  @ApiProperty({ type: [QueueCountDto] }) counts!: QueueCountDto[];
  @ApiProperty({ description: 'Jobs per status over every kind and project' })
  totals!: Record<string, number>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  oldestQueuedAt!: Date | null;
  @ApiProperty({ type: [SeenWorkerDto], description: 'Heartbeats within the last minute' })
  workers!: SeenWorkerDto[];
  @ApiProperty({ type: PoolDto }) pool!: PoolDto;
}

@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminController {
  constructor(
    private readonly identity: IdentityService,
    private readonly stats: QueueStatsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('queue')
  @ApiOperation({ summary: 'Queue depth by kind and status, and the busy workers (admin)' })
  @ApiOkResponse({ type: QueueOverviewDto })
  @ApiProblems(403)
  async queue(@CurrentPrincipal() principal: Principal): Promise<QueueOverviewDto> {
    this.identity.assertAdmin(principal);
    const [counts, oldestQueuedAt, workers] = await Promise.all([
      this.stats.counts(),
      this.stats.oldestQueuedAt(),
      this.stats.workers(SEEN_WITHIN_MS),
    ]);
    const totals: Record<string, number> = {};
    for (const c of counts) totals[c.status] = (totals[c.status] ?? 0) + c.count;
    return {
      counts,
      totals,
      oldestQueuedAt,
      workers,
      pool: { workers: this.config.workers, coordinators: this.config.coordinators },
    };
  }
}
