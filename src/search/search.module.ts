import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { StudyJobHandler } from './handlers/study.handler';
import { TrialCommandHandler } from './handlers/trial-command.handler';
import { StudiesController } from './studies.controller';
import { StudiesService } from './studies.service';
import { StudyConsoleController } from './study-console.controller';
import { StudyConsoleService } from './study-console.service';

/** Studies over REST, and the `study` / `trial-command` job kinds that run them. */
@Module({
  controllers: [StudiesController, StudyConsoleController],
  providers: [StudiesService, StudyConsoleService, StudyJobHandler, TrialCommandHandler],
})
export class SearchModule {
  constructor(registry: JobHandlerRegistry, study: StudyJobHandler, trial: TrialCommandHandler) {
    registry.register(study);
    registry.register(trial);
  }
}
