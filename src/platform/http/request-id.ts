import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction } from 'express';

/**
 * The request's id: the caller's `X-Request-Id` when it is a sane token, else a new UUID; echoed
 * in the `X-Request-Id` response header, logged with the request and put in problem responses.
 */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Assigns `req.id` before anything else runs, so that responses sent before routing (a body that
 * is not valid JSON) carry it too; pino-http keeps an id already set.
 */
export function requestIdMiddleware(
  req: IncomingMessage & { id?: unknown },
  res: ServerResponse,
  next: NextFunction,
): void {
  req.id ??= requestId(req, res);
  next();
}
