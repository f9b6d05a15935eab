import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import {
  RingController,
  SimulationValidateController,
  SimulationsController,
  TuningsController,
} from './jizhi-sim.controller';
import { JizhiSimService } from './jizhi-sim.service';
import { SimulateJobHandler } from './simulate.handler';
import { TuneJobHandler } from './tune.handler';

/** JIZHI serving simulator: job kinds `simulate` and `tune`, /v1/simulations, /v1/tunings, /v1/ring. */
@Module({
  controllers: [
    SimulationValidateController,
    SimulationsController,
    TuningsController,
    RingController,
  ],
  providers: [SimulateJobHandler, TuneJobHandler, JizhiSimService],
})
export class JizhiSimModule {
  constructor(registry: JobHandlerRegistry, simulate: SimulateJobHandler, tune: TuneJobHandler) {
    registry.register(simulate);
    registry.register(tune);
  }
}
