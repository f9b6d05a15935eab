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
import { ValidationError } from '../platform/errors/domain-error';

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
      try {
        return await this.inner.intercept(context, next);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (
          error instanceof HttpException ||
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
