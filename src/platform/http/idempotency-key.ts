import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * The raw `Idempotency-Key` request header. Unlike `@Headers('idempotency-key')`, which the
 * OpenAPI generator documents as a second, *required* header beside the optional one declared
 * with `@ApiHeader(IDEMPOTENCY_HEADER)` (and so blocked Swagger's "Try it out"), a custom
 * parameter decorator adds nothing to the document.
 */
export const IdempotencyKeyHeader = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const value = context.switchToHttp().getRequest<Request>().headers['idempotency-key'];
    return Array.isArray(value) ? value.join(', ') : value;
  },
);
