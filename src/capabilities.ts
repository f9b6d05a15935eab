import type { DynamicModule, Type } from '@nestjs/common';
import { JizhiSimModule } from './jizhi-sim/jizhi-sim.module';
import { InterpretModule } from './interpret/interpret.module';
import { SearchModule } from './search/search.module';
import { ModelsModule } from './models/models.module';
import { NasModule } from './nas/nas.module';

/**
 * The capability modules (search, transfer, interpret, jizhi-sim, nas, datasets/models). Each
 * registers its job kinds into the JobHandlerRegistry and, in the API, its controllers. The API
 * and the workers load the same list, so a worker can run every kind the API accepts.
 */
export const CAPABILITY_MODULES: (Type<unknown> | DynamicModule)[] = [
  InterpretModule,
  JizhiSimModule,
  SearchModule,
  ModelsModule,
  NasModule,
];
