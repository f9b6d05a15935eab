import { Type } from '@sinclair/typebox';
import { JobHandler } from '../job-handler';
import { specSchema } from '../../validation/spec-schema';

/** `noop`: finishes at once; the cheapest job for queue throughput measurements. */
export class NoopHandler implements JobHandler<Record<string, never>, Record<string, never>> {
  readonly kind = 'noop';

  private readonly spec = specSchema(Type.Object({}, { additionalProperties: false }));

  validate(raw: unknown): Record<string, never> {
    this.spec.parse(raw);
    return {};
  }

  async run(): Promise<Record<string, never>> {
    return {};
  }
}
