import type { DynamicModule, Type } from '@nestjs/common';
import { JizhiSimModule } from './jizhi-sim/jizhi-sim.module';
import { InterpretModule } from './interpret/interpret.module';
import { SearchModule } from './search/search.module';
import { DatasetsModule } from './datasets/datasets.module';
import { RegistryModule } from './registry/registry.module';
import { TransferModule } from './transfer/transfer.module';
import { NasModule } from './nas/nas.module';
import { CollabModule } from './collab/collab.module';
import { ServingModule } from './serving/serving.module';
import { ServingLoopModule } from './serving/loop/serving-loop.module';

/**
 * The capability modules (search, transfer, interpret, jizhi-sim, nas, datasets, registry, collab, serving). Each
 * registers its job kinds into the JobHandlerRegistry and, in the API, its controllers. The API
 * and the workers load the same list, so a worker can run every kind the API accepts.
 */
export const CAPABILITY_MODULES: (Type<unknown> | DynamicModule)[] = [
  InterpretModule,
  JizhiSimModule,
  SearchModule,
  DatasetsModule,
  RegistryModule,
  TransferModule,
  NasModule,
  CollabModule,
  ServingModule,
  ServingLoopModule,
];
