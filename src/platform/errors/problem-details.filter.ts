import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../database/connection-errors';
import { DomainError } from './domain-error';
import { Problem, problem, problemFromBodyParserError, problemFromDomainError } from './problem';

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_S = 5;

/** A request as the error answers read it: Express's, or a plain node:http one. */
export type ProblemRequest = IncomingMessage & { id?: unknown; originalUrl?: string };

/**
 * Answers with a problem, identified by the request's path and id like every error response.
 * Plain node:http calls, so that the data-plane route (serving/data-plane.ts) answers the same.
 */
export function sendProblem(req: ProblemRequest, res: ServerResponse, body: Problem): void {
  body.instance = (req.originalUrl ?? req.url)?.split('?')[0];
  if (req.id !== undefined) body.requestId = String(req.id);
  // A dependency outage: tell the client when to try again (RFC 9110, 10.2.3).
  const headers: Record<string, string> =
    body.status === 503 ? { 'Retry-After': String(RETRY_AFTER_S) } : {};
  sendProblemJson(res, body.status, JSON.stringify(body), headers);
}

/** Writes a problem+json answer unless one was sent already. */
export function sendProblemJson(
  res: ServerResponse,
  status: number,
  json: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/**
 * The one place where errors become HTTP: domain errors, Nest's HTTP exceptions, body-parser
 * and upload errors map to RFC 9457 application/problem+json; a database that cannot be reached
 * is a 503 with Retry-After; anything else is a 500 whose details stay in the log (never a
 * stack trace to the client).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request & { id?: unknown }>();
    const res = http.getResponse<Response>();
    sendProblem(req, res, problemOf(error, req, this.logger));
  }
}

/**
 * The problem an error answers with (ProblemDetailsFilter, and the routes that answer outside
 * Nest: the data-plane predict route); an unexpected error is logged and is a 500.
 */
export function problemOf(
  error: unknown,
  req: Pick<IncomingMessage, 'method' | 'url'>,
  logger: Pick<Logger, 'warn' | 'error'>,
): Problem {
  if (error instanceof DomainError) return problemFromDomainError(error);
  if (isDatabaseUnavailable(error)) {
    logger.warn(`database unavailable: ${error instanceof Error ? error.message : error}`);
    return problem(503, 'the database is unavailable; retry later');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const detail =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    return problem(
      status,
      status === 404 && detail.startsWith('Cannot ')
        ? `no route ${req.method} ${(req.url ?? '').split('?')[0]}`
        : detail,
    );
  }
  const parserProblem = problemFromBodyParserError(error);
  if (parserProblem) return parserProblem;
  const multerCode = (error as { code?: unknown })?.code;
  if (typeof multerCode === 'string' && multerCode.startsWith('LIMIT_')) {
    return problem(
      multerCode === 'LIMIT_FILE_SIZE' ? 413 : 400,
      `upload rejected: ${(error as Error).message}`,
    );
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return problem(500, 'internal error; the request id identifies it in the service log');
}
