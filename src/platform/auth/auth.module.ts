import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth.guard';
import { ProjectsService } from './projects.service';

@Global()
@Module({
  providers: [ProjectsService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ProjectsService],
})
export class AuthModule {}
