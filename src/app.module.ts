import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { CAPABILITY_MODULES } from './capabilities';
import { ExecutorLog, ExecutorModule } from './executor.module';
import { SERVICE_ENTITIES } from './capability-entities';
import { OperatorModule } from './deploy/operator.module';
import { AuthModule } from './platform/auth/auth.module';
import { AppConfig } from './platform/config/app-config';
import { ConfigModule } from './platform/config/config.module';
import { loggerParams } from './platform/logging/logger-params';
import { DatabaseModule } from './platform/database/database.module';
import { ConsoleApiModule } from './platform/events/console-api.module';
import { HealthModule } from './platform/health/health.module';
import { JobsController } from './platform/jobs/jobs.controller';
import { JobsCoreModule } from './platform/jobs/jobs-core.module';

function loggerModule(config: AppConfig): DynamicModule {
  return LoggerModule.forRoot(loggerParams(config));
}

/** Shared by the API and the workers: config, logging, database, job core, capabilities. */
export function coreImports(config: AppConfig, options: { migrate: boolean }) {
  return [
    ConfigModule.forRoot(config),
    loggerModule(config),
    DatabaseModule.forRoot({
      migrate: options.migrate,
      poolSize: options.migrate ? 10 : 4,
      entities: SERVICE_ENTITIES,
    }),
    JobsCoreModule,
    ...CAPABILITY_MODULES,
  ];
}

@Module({})
export class AppModule {
  /** `executor: false` builds the API without an executor (EXECUTOR is null). */
  static forRoot(
    config: AppConfig,
    options: { executor: boolean } = { executor: true },
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...coreImports(config, { migrate: true }),
        AuthModule,
        HealthModule,
        ConsoleApiModule,
        ExecutorModule.forRoot({ executor: options.executor ? 'configured' : 'none' }),
        // Study/FineTune custom resources: a leader task of the Kubernetes executor.
        ...(options.executor ? [OperatorModule] : []),
      ],
      controllers: [JobsController],
    };
  }
}

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [...coreImports(config, { migrate: false }), AuthModule, HealthModule],
    };
  }
}

/** `autodl worker`: a local worker pool on the configured database, no API. */
@Module({})
export class WorkerPoolModule {
  static forRoot(config: AppConfig, log: ExecutorLog): DynamicModule {
    return {
      module: WorkerPoolModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ migrate: false, poolSize: 2, entities: SERVICE_ENTITIES }),
        JobsCoreModule,
        ExecutorModule.forRoot({ executor: 'local', log }),
      ],
    };
  }
}
