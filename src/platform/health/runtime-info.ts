import { Injectable } from '@nestjs/common';

/** What `autodl doctor` found in this process (src/ml/doctor.ts DoctorReport, as /readyz shows it). */
export interface RuntimeDoctor {
  backend: string;
  tfjsVersion: string;
  gpus: { index: number; name: string; computeCapability: string | null }[];
  gpuSource: string;
  conv: { shape: string; iterations: number; seconds: number; gflops: number };
  warnings: string[];
}

/** Facts about this process that readiness and job results report (set at start-up). */
@Injectable()
export class RuntimeInfo {
  tfBackend = 'not loaded';
  executor = 'local';
  /**
   * Runs the doctor once in this process (set by the ML runtime, src/ml/tf-runtime.ts; the
   * platform cannot import it). Absent where no ML runtime is loaded.
   */
  doctor?: () => Promise<RuntimeDoctor>;
}
