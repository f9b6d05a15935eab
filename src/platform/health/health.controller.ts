import * as fs from 'node:fs';
import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '../auth/auth.guard';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseHealthRepository } from '../database/database-health.repository';
import { IsIn, IsOptional } from 'class-validator';
import { ApiPublicProblems } from '../http/problem.dto';
import { RuntimeInfo, type RuntimeDoctor } from './runtime-info';

class LiveDto {
  @ApiProperty({ example: 'ok' }) status!: string;
}

class ReadyDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ example: true }) database!: boolean;
  @ApiProperty({ example: true }) migrations!: boolean;
  @ApiProperty({ example: 'wasm', description: 'TF.js backend in use, or "not loaded"' })
  tfBackend!: string;
  @ApiProperty({ example: 'local' }) executor!: string;
  @ApiProperty({
    example: 52_428_800_000,
    description: 'free bytes on the file system of AUTODL_HOME',
  })
  diskFreeBytes!: number;
  @ApiPropertyOptional({
    description:
      'With ?doctor=true: `autodl doctor` run once in this process (backend, visible GPUs, a short conv benchmark in GFLOP/s, warnings such as GPUs the backend cannot use)',
  })
  doctor?: RuntimeDoctor;
}

class ReadyQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description:
      'also report `autodl doctor` (run once per process, then cached): the GPU overlay probes with it, so a pod whose runtime cannot run is not ready',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  doctor?: 'true' | 'false';
}

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly database: DatabaseHealthRepository,
    private readonly runtime: RuntimeInfo,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Readiness: database reachable, every migration applied, free space under AUTODL_HOME above AUTODL_MIN_FREE_DISK_MB',
  })
  @ApiOkResponse({ type: ReadyDto })
  @ApiPublicProblems(503)
  async ready(@Query() query: ReadyQuery): Promise<ReadyDto> {
    let database = false;
    let migrations = false;
    try {
      await this.database.ping();
      database = true;
      migrations = !(await this.database.migrationsPending());
    } catch {
      // reported below
    }
    if (!database || !migrations) {
      throw new ServiceUnavailableException(
        !database ? 'database unreachable' : 'migrations pending: run `autodl migrate`',
      );
    }
    const diskFreeBytes = await freeBytes(this.config.home);
    const minimum = this.config.minFreeDiskMb * MIB;
    if (diskFreeBytes < minimum) {
      throw new ServiceUnavailableException(
        `disk nearly full: ${(diskFreeBytes / MIB).toFixed(1)} MiB free under AUTODL_HOME, ` +
          `below AUTODL_MIN_FREE_DISK_MB (${this.config.minFreeDiskMb})`,
      );
    }
    const doctor = query.doctor === 'true' ? await this.doctor() : undefined;
    return {
      status: 'ok',
      database,
      migrations,
      tfBackend: this.runtime.tfBackend,
      executor: this.runtime.executor,
      diskFreeBytes,
      ...(doctor ? { doctor } : {}),
    };
  }

  /** The doctor's report; a runtime that fails it (no backend loads) is not ready. */
  private async doctor(): Promise<RuntimeDoctor | undefined> {
    if (!this.runtime.doctor) return undefined;
    try {
      return await this.runtime.doctor();
    } catch (error) {
      throw new ServiceUnavailableException(
        `autodl doctor failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

const MIB = 1024 * 1024;

/** Bytes an unprivileged writer can still use on the file system holding `dir`. */
async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.promises.statfs(dir);
  return stats.bavail * stats.bsize;
}
