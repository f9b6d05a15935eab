import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config';
import { requestId } from '../http/request-id';

/** Probes and scrapes: polled every few seconds, never worth a line. */
const UNLOGGED_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export function accessMessage(req: IncomingMessage, res: ServerResponse): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
  return `${req.method} ${url} ${res.statusCode}`;
}

/** An access line's level: server errors `error`, client errors `warn`, the rest `debug`. */
export function accessLevel(status: number): 'error' | 'warn' | 'debug' {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'debug';
}

/**
 * Logging of the API and the workers (pino through nestjs-pino). An access line is one short
 * entry per request: method, URL, status, response time and request id, no headers. Successful
 * requests log at `debug` (a CLI following a job polls several times a second), client errors at
 * `warn`, server errors at `error`. Log lines written while serving a request carry only its
 * `reqId` (pino-http's quietReqLogger), not the whole request.
 */
export function loggerParams(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): Params {
  const options: Options = {
    level: config.logLevel,
    genReqId: requestId,
    quietReqLogger: true,
    serializers: {
      // The id is the entry's `reqId` already (quietReqLogger).
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err ? 'error' : accessLevel(res.statusCode)),
    customSuccessMessage: accessMessage,
    customErrorMessage: accessMessage,
    autoLogging: { ignore: (req) => UNLOGGED_ROUTES.has(req.url ?? '') },
  };
  return { pinoHttp: config.logFormat === 'pretty' ? [options, prettyDestination()] : options };
}

/**
 * One readable line per entry for a terminal: `[12:00:01.234] DEBUG: GET /v1/jobs 200 (3 ms)`,
 * `[12:00:00.100] INFO: [LocalExecutor] worker 1 started`. Synchronous, so that nothing is lost
 * when the process exits right after a line.
 */
function prettyDestination(): DestinationStream {
  return pretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,req,res,reqId,responseTime,context',
    messageFormat: (log, messageKey) => {
      const context = typeof log.context === 'string' ? `[${log.context}] ` : '';
      const time = typeof log.responseTime === 'number' ? ` (${log.responseTime} ms)` : '';
      return `${context}${String(log[messageKey] ?? '')}${time}`;
    },
  });
}
