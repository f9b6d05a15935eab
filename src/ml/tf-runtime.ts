import { Inject, Injectable, Logger } from '@nestjs/common';
import { selectBackend } from './backend';
import { runDoctor, type DoctorReport } from './doctor';
import { APP_CONFIG, AppConfig } from '../platform/config/app-config';
import { RuntimeInfo } from '../platform/health/runtime-info';

/**
 * Selects the TF.js backend once per process (API: predict; worker: training) from
 * AUTODL_TF_BACKEND via src/ml/backend.ts, and publishes it in RuntimeInfo (/readyz, job results).
 */
@Injectable()
export class TfRuntime {
  private selected?: Promise<string>;
  private doctorReport?: Promise<DoctorReport>;
  private readonly logger = new Logger('TfRuntime');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runtime: RuntimeInfo,
  ) {
    runtime.doctor = () => this.doctor();
  }

  /**
   * `autodl doctor` in this process, once (GET /readyz?doctor=true): the backend, the GPUs it
   * sees and a quarter-second conv benchmark. Cached: a probe every few seconds costs nothing.
   */
  doctor(): Promise<DoctorReport> {
    this.doctorReport ??= this.ready().then(() => runDoctor(this.config.tfBackend, DOCTOR_SECONDS));
    return this.doctorReport;
  }

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

const DOCTOR_SECONDS = 0.25;
