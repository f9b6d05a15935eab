import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.guard';
import { ApiPublicProblems } from '../http/problem.dto';
import { RuntimeInfo } from './runtime-info';

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
}

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly runtime: RuntimeInfo,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @HttpCode(200)
  @ApiOperation({ summary: 'Readiness: database reachable and every migration applied' })
  @ApiOkResponse({ type: ReadyDto })
  @ApiPublicProblems(503)
  async ready(): Promise<ReadyDto> {
    let database = false;
    let migrations = false;
    try {
      await this.db.query('SELECT 1');
      database = true;
      migrations = !(await this.db.showMigrations());
    } catch {
      // reported below
    }
    if (!database || !migrations) {
      throw new ServiceUnavailableException(
        !database ? 'database unreachable' : 'migrations pending: run `autodl migrate`',
      );
    }
    return {
      status: 'ok',
      database,
      migrations,
      tfBackend: this.runtime.tfBackend,
      executor: this.runtime.executor,
    };
  }
}
