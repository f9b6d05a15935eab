import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AppConfig } from './platform/config/app-config';
import { ProjectsService } from './platform/auth/projects.service';
import { documentViewerRefusals } from './platform/auth/role-openapi';
import { DATABASE_URL } from './platform/database/database.module';
import { problemFromBodyParserError } from './platform/errors/problem';
import { ProblemDetailsFilter, sendProblem } from './platform/errors/problem-details.filter';
import { RuntimeInfo } from './platform/health/runtime-info';
import { consoleMiddleware } from './platform/http/console';
import {
  documentUnsupportedMediaType,
  MediaTypeInterceptor,
} from './platform/http/media-type.interceptor';
import { requestIdMiddleware } from './platform/http/request-id';
import { inputGuard } from './platform/http/input-guard';
import { createValidationPipe } from './platform/http/validation.pipe';
import { EXECUTOR, type Executor } from './platform/jobs/executor.port';
import { MetricsService } from './platform/metrics/metrics.service';
import { protectHome } from './platform/sandbox/protect-home';
import { installArrivalStamp, installRequestTrace } from './serving/request-trace';

export interface RunningApp {
  app: NestExpressApplication;
  url: string;
  databaseUrl: string;
  executor: Executor | null;
  /** The admin key when this start created the default project, else null. */
  adminKey: string | null;
  close(): Promise<void>;
}

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('AutoDL service')
    .setDescription(
      'Hyper-parameter and architecture search, transfer learning, explanations and serving ' +
        'simulation as queued jobs. Authenticate with `Authorization: Bearer <API key>`. ' +
        'Errors are RFC 9457 application/problem+json.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key (adl_...)' })
    .build();
  return documentViewerRefusals(
    documentUnsupportedMediaType(SwaggerModule.createDocument(app, config)),
  );
}

/** Request latency by matched route, for /metrics. */
function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/**
 * Builds and starts the HTTP API (with its executor unless `startExecutor` is false). Used by
 * `autodl serve` and by the e2e tests, so the tests exercise exactly what users run.
 */
export async function startApp(
  config: AppConfig,
  options: { startExecutor?: boolean } = {},
): Promise<RunningApp> {
  const modules = AppModule.forRoot(config, { executor: options.startExecutor !== false });
  const app = await NestFactory.create<NestExpressApplication>(modules, {
    bodyParser: false,
    bufferLogs: true,
  });
  // Opt-in per-request timeline of predicts (AUTODL_SERVING_TRACE=1; serving/request-trace.ts),
  // and every request's arrival for the request-path meter's on-path loop time.
  installRequestTrace(app.getHttpServer());
  installArrivalStamp(app.getHttpServer());
  app.use(requestIdMiddleware);
  app.useLogger(app.get(Logger));
  app.use(httpMetrics(app.get(MetricsService)));
  app.use(
    express.json({ limit: config.bodyLimit, type: ['application/json', 'application/*+json'] }),
  );
  // Binary bodies (a deployment's float32 predict rows) reach the routes that @ApiConsumes
  // application/octet-stream as a Buffer; any other route with a body answers 415.
  app.use(express.raw({ limit: config.bodyLimit, type: 'application/octet-stream' }));
  // body-parser errors happen before routing; answer them here as problem+json.
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    const problem = problemFromBodyParserError(error);
    if (!problem) return next(error);
    sendProblem(req, res, problem);
  });
  app.use(consoleMiddleware(config.consoleDir));
  // NUL bytes, reserved keys and deep nesting are refused before routing and validation.
  app.use(inputGuard());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalInterceptors(new MediaTypeInterceptor(app.get(Reflector)));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.disable('x-powered-by');
  const document = buildOpenApi(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'AutoDL API',
  });
  await app.init();

  const logger = app.get(Logger);
  const adminKey = await app
    .get(ProjectsService)
    .bootstrapAdminKey((m) =>
      config.printAdminKey ? process.stdout.write(m + '\n') : logger.log(m.split('\n')[0]),
    );
  protectHome(config.home);
  const databaseUrl: string = app.get(DATABASE_URL);
  const runtime = app.get(RuntimeInfo);
  runtime.executor = config.executor;

  const executor: Executor | null = app.get(EXECUTOR);
  // An unreachable or refusing Kubernetes API server stops the start-up, with the app closed.
  await executor?.start().catch(async (error: unknown) => {
    await app.close();
    throw error;
  });

  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closed = false;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    databaseUrl,
    executor,
    adminKey,
    close: async () => {
      if (closed) return;
      closed = true;
      await executor?.stop();
      await app.close();
    },
  };
}
