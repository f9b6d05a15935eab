import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { ExternalTrialsService } from './external-trials.service';
import { PlatformTrialJobs } from './handlers/platform-trial-jobs';
import { StudyJobHandler } from './handlers/study.handler';
import { TrialCommandHandler } from './handlers/trial-command.handler';
import { TRIAL_JOBS } from './handlers/trial-jobs.port';
import { StudiesController } from './studies.controller';
import { StudiesService } from './studies.service';
import { StudiesRepository } from './storage/studies.repository';
import { StudyAnalyticsRepository } from './storage/study-analytics.repository';
import { StudyNotesRepository } from './storage/study-notes.repository';
import { StudyConsoleAccess } from './study-console-access';
import { StudyConsoleController } from './study-console.controller';
import { StudyConsoleService } from './study-console.service';
import { StudyLoader } from './study-loader';
import { StudyPlotsService } from './study-plots.service';

/**
 * Studies over REST, and the `study` / `trial-command` job kinds that run them. Exports the
 * studies tables' repository and the trial-job port for NAS, whose studies live in them too.
 * The allowCommands check reads the platform's ProjectsRepository (exported by the global
 * AuthModule, which the API and the workers both load).
 */
@Module({
  controllers: [StudiesController, StudyConsoleController],
  providers: [
    StudiesRepository,
    StudyAnalyticsRepository,
    StudyNotesRepository,
    { provide: TRIAL_JOBS, useClass: PlatformTrialJobs },
    StudyLoader,
    StudiesService,
    ExternalTrialsService,
    StudyConsoleAccess,
    StudyConsoleService,
    StudyPlotsService,
    StudyJobHandler,
    TrialCommandHandler,
  ],
  exports: [StudiesRepository, StudiesService, TRIAL_JOBS],
})
export class SearchModule {
  constructor(registry: JobHandlerRegistry, study: StudyJobHandler, trial: TrialCommandHandler) {
    registry.register(study);
    registry.register(trial);
  }
}
