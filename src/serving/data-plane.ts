import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import express from 'express';
import { PinoLogger } from 'nestjs-pino';
import type { Logger as RootLogger } from 'pino';
import { ProjectsService } from '../platform/auth/projects.service';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { problemOf, sendProblem } from '../platform/errors/problem-details.filter';
import { findUnsafeInputOf, unsafeInputProblem } from '../platform/http/input-guard';
import { requestId } from '../platform/http/request-id';
import { accessLevel, accessMessage } from '../platform/logging/logger-params';
import { MetricsService } from '../platform/metrics/metrics.service';
import { FLOAT32_ROWS } from './core/binary-rows';
import { mediaTypeOf } from './core/media-type';
import { RequestDroppedError } from './core/serving-errors';
import { DeploymentsService } from './deployments.service';
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
  log: () => Pick<RootLogger, 'isLevelEnabled' | 'error' | 'warn' | 'debug'> | undefined;
  bodyLimit: string;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;
type DataPlaneRequest = IncomingMessage & { id?: unknown; body?: unknown };

/**
 * The data plane: a deployment's predicts (binary rows or JSON) answered on the HTTP server
 * itself, ahead of Express (`app`, the server's request listener, gets every other request).
 * Why (issue 17, docs/serving.md "The data-plane route"): through Express, pino-http, Nest's
 * guard, pipes and rxjs interceptors a predict allocated about 150 KB, and a fifth of it lived
 * through two scavenges into the old generation, which filled until a mark-compact every few
 * seconds, whose burst was the p99 at high rates. Measured on this host, even a bare Express app
 * promotes 4 KB a request (its `Object.setPrototypeOf` of every request and response onto its
 * own prototypes alone 1.6-3.4 KB) where plain node:http promotes none, so this route keeps the
 * requests plain: the body parsers, the input guard, `sendPrediction` and the problem answers
 * here are the ones the Nest routes use, on node:http calls.
 *
 * What a client sees is the same as from the Nest routes (answers, problem+json, Retry-After,
 * X-Request-Id, the http metrics, the access line at its level); what is left out is the
 * per-request child logger. Everything that is not a predict of a member or admin key goes to
 * Express before a byte of the body is read: a missing, unknown, viewer or site key (the
 * guard's 401 / 403 and the audit of refusals), another content type (the 415), and any path
 * that is not the canonical form.
 */
export function installDataPlane(server: Server, app: Listener, deps: DataPlaneDeps): void {
  if (!server.listeners('request').includes(app))
    throw new Error('the data plane goes in front of the app: it must be the request listener');
  server.removeListener('request', app);
  server.on('request', dataPlane(app, deps));
}

/** The request listener: predicts here, the rest to `app`. */
export function dataPlane(app: Listener, deps: DataPlaneDeps): Listener {
  const readRows = express.raw({ limit: deps.bodyLimit, type: FLOAT32_ROWS });
  const readJson = express.json({ limit: deps.bodyLimit, type: JSON_TYPES });
  const errors = {
    warn: (m: string) => deps.log()?.warn(m),
    error: (m: string) => deps.log()?.error(m),
  };
  return (req: DataPlaneRequest, res: ServerResponse): void => {
    if (req.method !== 'POST') return app(req, res);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const match = PREDICT_PATH.exec(q < 0 ? url : url.slice(0, q));
    const key = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const body = bodyKind(req);
    if (!match || !key || !body) return app(req, res);
    const ref = decoded(match[2]);
    if (ref === null) return app(req, res);
    const fail = (e: unknown) => answerError(req, res, e, errors);
    deps.projects
      .authenticate(key)
      .then(
        (principal) => {
          if (!principal || (principal.role !== 'member' && principal.role !== 'admin'))
            return app(req, res);
          req.id = requestId(req, res);
          observe(deps, req, res, ROUTES[match[1] as keyof typeof ROUTES]);
          const read = body === 'rows' ? readRows : readJson;
          read(req, res, (parseError?: unknown) => {
            if (parseError) return fail(parseError);
            // Inside the parser's callback: a throw here would escape to the stream's events.
            try {
              // Express's "simple" query parser is node's querystring.
              const query = parse(q < 0 ? '' : url.slice(q + 1));
              // NUL bytes, reserved keys, deep nesting in the path, query or JSON: the guard's 400.
              const unsafe = findUnsafeInputOf(url, query, req.body);
              if (unsafe) return sendProblem(req, res, unsafeInputProblem(unsafe));
              const deadline = typeof query.deadlineMs === 'string' ? query.deadlineMs : undefined;
              sendPrediction(deps.deployments, principal, ref, req.body, deadline, req, res).catch(
                fail,
              );
            } catch (e) {
              fail(e);
            }
          });
        },
        // The database behind an uncached key is down: the Nest route answers that as it always does.
        () => app(req, res),
      )
      .catch(fail);
  };
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** The body parsers the app has: float32 rows or JSON; null for anything else. */
function bodyKind(req: IncomingMessage): 'rows' | 'json' | null {
  const type = mediaTypeOf(req.headers['content-type']);
  if (type === FLOAT32_ROWS) return 'rows';
  return type === 'application/json' ||
    (type !== undefined && /^application\/[^/]+\+json$/.test(type))
    ? 'json'
    : null;
}

function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function answerError(
  req: DataPlaneRequest,
  res: ServerResponse,
  error: unknown,
  logger: { warn(m: string): void; error(m: string): void },
): void {
  if (error instanceof RequestDroppedError) return sendShed(req, res, error);
  // problemOf maps the body parsers' errors too.
  sendProblem(req, res, problemOf(error, req, logger));
}

/** The http metrics and the access line of the control plane's routes, for this route. */
function observe(
  deps: DataPlaneDeps,
  req: DataPlaneRequest,
  res: ServerResponse,
  route: string,
): void {
  const end = deps.metrics.httpDuration.startTimer();
  const started = performance.now();
  res.on('finish', () => {
    end({ method: 'POST', route, status: String(res.statusCode) });
    const level = accessLevel(res.statusCode);
    const log = deps.log();
    if (!log?.isLevelEnabled(level)) return;
    log[level](
      { reqId: req.id, responseTime: Math.round(performance.now() - started) },
      accessMessage(req, res),
    );
  });
}

/**
 * Installs the data plane with the serving capability, in the API (at module init: the HTTP
 * server exists from NestFactory.create, and nothing listens before `listen`); a worker's
 * application context has no server.
 */
@Injectable()
export class DataPlaneInstaller implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly deployments: DeploymentsService,
    private readonly projects: ProjectsService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // A worker process's application context has no HTTP server.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter?.getHttpServer()) return;
    installDataPlane(adapter.getHttpServer() as Server, adapter.getInstance<Listener>(), {
      deployments: this.deployments,
      projects: this.projects,
      metrics: this.metrics,
      log: () => PinoLogger.root,
      bodyLimit: this.config.bodyLimit,
    });
  }
}
