import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { problemResponseObject } from './problem.dto';

/** Where `@ApiConsumes` keeps its types (DECORATORS.API_CONSUMES, not exported by the package). */
const API_CONSUMES = 'swagger/apiConsumes';

/** What a route takes unless it says otherwise with `@ApiConsumes` (also what OpenAPI shows). */
const DEFAULT_CONSUMES = ['application/json'];

/**
 * A body in a media type the route does not take is a 415 (RFC 9110 section 15.5.16) naming what
 * to send. Without this, `curl -d` (form-urlencoded) or a text/plain body reached the route as an
 * empty object and came back as a list of "missing field" errors. Applies to routes with a
 * `@Body()` parameter; the accepted types are the route's documented `@ApiConsumes`, JSON by
 * default (with `application/*+json`, as the JSON parser takes).
 */
@Injectable()
export class MediaTypeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || !this.takesBody(context)) return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    if (!hasBody(req)) return next.handle();
    const consumes =
      this.reflector.getAllAndOverride<string[] | undefined>(API_CONSUMES, [
        context.getHandler(),
        context.getClass(),
      ]) ?? DEFAULT_CONSUMES;
    const accepted = consumes.flatMap((t) =>
      t === 'application/json' ? [t, 'application/*+json'] : [t],
    );
    if (req.is(accepted)) return next.handle();
    const sent = req.headers['content-type']?.split(';')[0].trim().slice(0, 100);
    const send = `send ${consumes.join(' or ')}`;
    throw new UnsupportedMediaTypeException(
      sent
        ? `the request body is ${sent}; ${send}`
        : `the request body has no Content-Type; ${send}`,
    );
  }

  private takesBody(context: ExecutionContext): boolean {
    const args: Record<string, unknown> =
      Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) ?? {};
    return Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY));
  }
}

/** A request with a non-empty body (a chunked one, or a Content-Length above zero). */
function hasBody(req: Request): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  );
}

/** Adds the 415 this interceptor answers to every operation of the document that takes a body. */
export function documentUnsupportedMediaType(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of ['post', 'put', 'patch'] as const) {
      const op = item[method];
      if (op?.requestBody && !op.responses['415']) op.responses['415'] = problemResponseObject(415);
    }
  }
  return document;
}
