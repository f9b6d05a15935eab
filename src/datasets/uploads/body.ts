import type { Request } from 'express';
import { ValidationError } from '../../platform/errors/domain-error';
import { createValidationPipe } from '../../platform/http/validation.pipe';

/** Multipart request? (then the files and string fields come from multer). */
export function isMultipart(req: Request): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
}

const pipe = createValidationPipe();

/**
 * Validates a JSON body against a DTO class with the app's global rules (the route's own @Body()
 * is untyped because the same route also accepts multipart forms).
 */
export async function validateJsonBody<T>(body: unknown, dto: new () => T): Promise<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ValidationError.field('body', 'must be a JSON object (or a multipart/form-data upload)');
  }
  return (await pipe.transform(body, { type: 'body', metatype: dto })) as T;
}

/** Multer's string fields as a plain record (multer builds them on a null-prototype object). */
export function formFields(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null) return {};
  return { ...(body as Record<string, unknown>) };
}
