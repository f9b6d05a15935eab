import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { DatasetsController } from './datasets.controller';
import { DatasetsRepository } from './datasets.repository';
import { DatasetsService } from './datasets.service';
import { UploadParserPool } from './uploads/upload-parser-pool';

/**
 * Data sets: uploads (parsed in upload threads) and packaged sets, split and stored as one file
 * each. The registry (src/registry) builds on it: models name the data set they were trained on.
 */
@Module({
  controllers: [DatasetsController],
  providers: [
    DatasetsRepository,
    DatasetsService,
    {
      provide: UploadParserPool,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new UploadParserPool({ size: config.uploadThreads }),
    },
  ],
  exports: [DatasetsService],
})
export class DatasetsModule {}
