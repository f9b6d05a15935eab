import { Module } from '@nestjs/common';
import { AdminController } from '../admin/admin.controller';
import { IdentityRepository } from '../auth/identity.repository';
import { IdentityService } from '../auth/identity.service';
import { WhoamiController } from '../auth/whoami.controller';
import { EventsController } from './events.controller';
import { JobEventsHub } from './job-events.hub';

/** What the web console needs of the API (API process only): who am I, live events, admin. */
@Module({
  controllers: [WhoamiController, EventsController, AdminController],
  providers: [IdentityRepository, IdentityService, JobEventsHub],
  exports: [JobEventsHub, IdentityService],
})
export class ConsoleApiModule {}
