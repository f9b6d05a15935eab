import { Inject, Injectable, Logger } from '@nestjs/common';
import { selectBackend } from '../ml/backend';
import { APP_CONFIG, AppConfig } from '../platform/config/app-config';
import { RuntimeInfo } from '../platform/health/runtime-info';

/**
 * Selects the TF.js backend once per process (API: predict; worker: training) from
 * AUTODL_TF_BACKEND via src/ml/backend.ts, and publishes it in RuntimeInfo (/readyz, job results).
 */
@Injectable()
export class TfRuntime {
  private selected?: Promise<string>;
  private readonly logger = new Logger('TfRuntime');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runtime: RuntimeInfo,
  ) {}

  ready(): Promise<string> {
    this.selected ??= selectBackend(this.config.tfBackend, (m) => this.logger.log(m)).then(
      (name) => {
        this.runtime.tfBackend = name;
        return name;
      },
    );
    return this.selected;
  }
}
