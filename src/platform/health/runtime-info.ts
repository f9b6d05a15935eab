import { Injectable } from '@nestjs/common';

/** Facts about this process that readiness and job results report (set at start-up). */
@Injectable()
export class RuntimeInfo {
  tfBackend = 'not loaded';
  executor = 'local';
}
