import { Body, PipeTransform, applyDecorators } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { SpecSchema } from './spec-schema';

/** Validates and normalises a request body with its kind's schema (fields named from the body). */
class SpecSchemaPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly spec: SpecSchema<T>) {}
  transform(value: unknown): T {
    return this.spec.parse(value, '');
  }
}

/**
 * The body of a route described by a job kind's schema: `@SpecBody(schema) body` parses it (the
 * global class-validator pipe skips a parameter typed by an interface) and `@ApiSpecBody(schema)`
 * on the method documents the same schema in the OpenAPI document.
 */
export function SpecBody<T>(spec: SpecSchema<T>): ParameterDecorator {
  return Body(new SpecSchemaPipe(spec));
}

export function ApiSpecBody(spec: SpecSchema<unknown>, description?: string): MethodDecorator {
  return applyDecorators(ApiBody({ schema: spec.openApi(), description }));
}
