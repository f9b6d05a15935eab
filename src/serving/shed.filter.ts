import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import { problem } from '../platform/errors/problem';
import { sendProblemJson, type ProblemRequest } from '../platform/errors/problem-details.filter';
import { RequestDroppedError } from './core/serving-errors';

/**
 * A request the deployment did not serve: 429 when shed at a full queue, 503 when its queue
 * timeout or deadline passed (or the deployment is stopping), both as problem+json with a
 * Retry-After (RFC 9110, 10.2.3) estimated from the queue's drain time, and `reason`.
 */
@Catch(RequestDroppedError)
export class ShedFilter implements ExceptionFilter {
  catch(error: RequestDroppedError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendShed(http.getRequest<Request & { id?: unknown }>(), http.getResponse<Response>(), error);
  }
}

/** The shed answer, for the Nest routes (ShedFilter) and the data-plane route alike. */
export function sendShed(
  req: ProblemRequest,
  res: ServerResponse,
  error: RequestDroppedError,
): void {
  const status = error.reason === 'queue_full' ? 429 : 503;
  const body = {
    ...problem(status, error.message),
    reason: error.reason,
    instance: (req.originalUrl ?? req.url)?.split('?')[0],
    ...(req.id !== undefined ? { requestId: String(req.id) } : {}),
  };
  sendProblemJson(res, status, JSON.stringify(body), { 'Retry-After': String(error.retryAfterS) });
}
