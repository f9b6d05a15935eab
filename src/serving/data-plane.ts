import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger as PinoLogger } from 'pino';
import type { ProjectsService } from '../platform/auth/projects.service';
import { problemFromBodyParserError } from '../platform/errors/problem';
import { problemOf, sendProblem } from '../platform/errors/problem-details.filter';
import { inputGuard } from '../platform/http/input-guard';
import { requestIdMiddleware } from '../platform/http/request-id';
import { accessLevel, accessMessage } from '../platform/logging/logger-params';
import type { MetricsService } from '../platform/metrics/metrics.service';
import { FLOAT32_ROWS } from './core/binary-rows';
import { RequestDroppedError } from './core/serving-errors';
import type { DeploymentsService } from './deployments.service';
import { sendPrediction } from './predict-input';
import { sendShed } from './shed.filter';

/** The two predict routes, as Nest declares them (the metrics' route label). */
const ROUTES = { serve: '/v1/serve/:name/predict', deployments: '/v1/deployments/:id/predict' };
const PREDICT_PATH = /^\/v1\/(serve|deployments)\/([^/]+)\/predict$/;

export interface DataPlaneDeps {
  deployments: DeploymentsService;
  projects: Pick<ProjectsService, 'authenticate'>;
  metrics: Pick<MetricsService, 'httpDuration'>;
  /** The service's root logger (access lines, unexpected errors); it exists once the app is up. */
  log: () => Pick<PinoLogger, 'isLevelEnabled' | 'error' | 'warn' | 'debug'> | undefined;
  bodyLimit: string;
}

/**
 * The data plane: a deployment's predicts (binary rows or JSON), answered before the control
 * plane's middleware chain. Why (issue 17, docs/serving.md "The data-plane route"): each request
 * through pino-http, Express's router, Nest's guard, pipes and rxjs interceptors allocated about
 * 150 KB and left a fifth of it alive across two scavenges; the promoted garbage filled the old
 * generation until a mark-compact every few seconds, whose burst was the p99 at high rates. The
 * answers are the same as the Nest routes' (the same body parsers and input guard, the same
 * `sendPrediction`, problem+json, Retry-After, X-Request-Id, the http metrics); what the route
 * leaves out is the per-request child logger (an access line is still written at its level).
 *
 * Everything that is not a predict of a member or admin key goes on to the Nest routes before a
 * byte of the body is read: a missing, unknown, viewer or site key (the guard's 401 / 403 and
 * the audit of refusals are there), another content type (the 415 is there), and any path that
 * is not the canonical form.
 */
export function dataPlane(deps: DataPlaneDeps) {
  const readRows = express.raw({ limit: deps.bodyLimit, type: FLOAT32_ROWS });
  const readJson = express.json({ limit: deps.bodyLimit, type: JSON_TYPES });
  const guard = inputGuard();
  const errors = {
    warn: (m: string) => deps.log()?.warn(m),
    error: (m: string) => deps.log()?.error(m),
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST') return next();
    const match = PREDICT_PATH.exec(pathOf(req.url));
    const key = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const body = bodyKind(req);
    if (!match || !key || !body) return next();
    const ref = decoded(match[2]);
    if (ref === null) return next();
    deps.projects.authenticate(key).then(
      (principal) => {
        if (!principal || (principal.role !== 'member' && principal.role !== 'admin'))
          return next();
        requestIdMiddleware(req, res, () => undefined);
        observe(deps, req, res, ROUTES[match[1] as keyof typeof ROUTES]);
        const read = body === 'rows' ? readRows : readJson;
        read(req, res, (parseError?: unknown) => {
          if (parseError) return answerError(req, res, parseError, errors);
          // NUL bytes, reserved keys, deep nesting in the path, query or JSON: the guard's 400.
          guard(req, res, () => {
            const deadline =
              typeof req.query.deadlineMs === 'string' ? req.query.deadlineMs : undefined;
            sendPrediction(deps.deployments, principal, ref, req.body, deadline, req, res).catch(
              (e: unknown) => answerError(req, res, e, errors),
            );
          });
        });
      },
      // The database behind an uncached key is down: the Nest route answers that as it always does.
      () => next(),
    );
  };
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** The body parsers the app has: float32 rows or JSON; null for anything else. */
function bodyKind(req: IncomingMessage): 'rows' | 'json' | null {
  const header = req.headers['content-type'];
  if (typeof header !== 'string') return null;
  const type = header.split(';')[0].trim().toLowerCase();
  if (type === FLOAT32_ROWS) return 'rows';
  return type === 'application/json' || /^application\/[^/]+\+json$/.test(type) ? 'json' : null;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function answerError(
  req: Request,
  res: Response,
  error: unknown,
  logger: { warn(m: string): void; error(m: string): void },
): void {
  if (error instanceof RequestDroppedError) return sendShed(req, res, error);
  sendProblem(req, res, problemFromBodyParserError(error) ?? problemOf(error, req, logger));
}

/** The http metrics and the access line of the control plane's routes, for this route. */
function observe(deps: DataPlaneDeps, req: Request, res: ServerResponse, route: string): void {
  const end = deps.metrics.httpDuration.startTimer();
  const started = performance.now();
  res.on('finish', () => {
    end({ method: 'POST', route, status: String(res.statusCode) });
    const level = accessLevel(res.statusCode);
    const log = deps.log();
    if (!log?.isLevelEnabled(level)) return;
    const reqId = (req as IncomingMessage & { id?: unknown }).id;
    log[level](
      { reqId, responseTime: Math.round(performance.now() - started) },
      accessMessage(req, res),
    );
  });
}
