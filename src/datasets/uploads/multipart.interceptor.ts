import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Injectable,
  NestInterceptor,
  Type,
} from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { Observable } from 'rxjs';
import type { Request } from 'express';
import { ValidationError } from '../../platform/errors/domain-error';
import { findUnsafeInput } from '../../platform/validation/untrusted-input';

/** A file multer kept in memory. */
export interface UploadedFile {
  fieldname: string;
  originalname: string;
  buffer: Buffer;
}

/**
 * Multer (memory storage) for routes that take multipart/form-data or JSON. Other content types
 * pass through untouched. Multer's own limit errors (LIMIT_*) reach the problem filter as 413/400;
 * any other parser failure (truncated body, bad boundary) is the client's malformed request: 400.
 */
export function multipartInterceptor(limits: {
  fileSize: number;
  files: number;
}): Type<NestInterceptor> {
  const Inner = AnyFilesInterceptor({
    limits: { ...limits, fields: 20, fieldSize: 64 * 1024, parts: limits.files + 20 },
  });
  @Injectable()
  class MultipartInterceptor implements NestInterceptor {
    private readonly inner = new Inner();

    async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
      // Multer has read the form when it calls `handle`: check its fields and file names with
      // the rule every other input passes at the edge (src/platform/http/input-guard.ts).
      const checked: CallHandler = {
        handle: () => {
          const req = context.switchToHttp().getRequest<Request & { files?: UploadedFile[] }>();
          const files = req.files ?? [];
          const found =
            findUnsafeInput(req.body as unknown, 'form') ??
            findUnsafeInput(
              files.map((f) => ({ field: f.fieldname, name: f.originalname })),
              'files',
            );
          if (found !== null)
            throw new ValidationError(`${found.field}: ${found.message}`, [found]);
          return next.handle();
        },
      };
      try {
        return await this.inner.intercept(context, checked);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (
          error instanceof HttpException ||
          error instanceof ValidationError ||
          (typeof code === 'string' && code.startsWith('LIMIT_'))
        ) {
          throw error;
        }
        throw ValidationError.field(
          'body',
          `malformed multipart/form-data: ${(error as Error).message ?? String(error)}`,
        );
      }
    }
  }
  return MultipartInterceptor;
}
