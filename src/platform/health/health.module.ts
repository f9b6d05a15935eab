import { Global, Module } from '@nestjs/common';
import { MetricsController } from '../metrics/metrics.controller';
import { MetricsService } from '../metrics/metrics.service';
import { HealthController } from './health.controller';
import { RuntimeInfo } from './runtime-info';

@Global()
@Module({
  controllers: [HealthController, MetricsController],
  providers: [RuntimeInfo, MetricsService],
  exports: [RuntimeInfo, MetricsService],
})
export class HealthModule {}
