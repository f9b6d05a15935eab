import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditRepository } from './audit.repository';
import { ApiKeyGuard, AuditTargetInterceptor } from './auth.guard';
import { AuditController, KeysController, ProjectsController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';
import { ProjectsRepository } from './projects.repository';
import { ProjectsService } from './projects.service';

/**
 * API keys, projects and the audit log; global, so a capability that needs a project's settings
 * (search's allowCommands check) injects ProjectsRepository without building its own.
 */
@Global()
@Module({
  controllers: [KeysController, ProjectsController, AuditController],
  providers: [
    ProjectsRepository,
    KeysRepository,
    AuditRepository,
    ProjectsService,
    KeysService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditTargetInterceptor },
  ],
  exports: [ProjectsService, ProjectsRepository],
})
export class AuthModule {}
