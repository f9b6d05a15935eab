import {
  CallHandler,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { Observable, tap } from 'rxjs';
import { ForbiddenError } from '../errors/domain-error';
import { AuditRepository } from './audit.repository';
import { Principal, ProjectsService } from './projects.service';
import { isMutating } from './roles';

const PUBLIC = 'autodl:public';
/** Routes outside /v1 (health, metrics, docs) that need no API key. */
export const Public = () => SetMetadata(PUBLIC, true);

const NO_AUDIT = 'autodl:no-audit';
/**
 * Data-plane calls (a deployment's or a model's predict) leave no audit row: at hundreds of
 * requests a second one INSERT each would cost more than the inference, and they change nothing.
 * Prometheus counts them per deployment (docs/serving.md); refusals are still audited.
 */
export const NotAudited = () => SetMetadata(NO_AUDIT, true);

const SITE_API = 'autodl:site-api';
/** The routes a `site` key may call (a remote site agent's work API), and only a site key. */
export const SiteApi = () => SetMetadata(SITE_API, true);

type AuthedRequest = Request & { principal?: Principal };

/**
 * Every route needs `Authorization: Bearer <key>` unless marked @Public(). A viewer key may only
 * read (GET/HEAD): any other method is a 403 before the route runs. A site key may call only the
 * @SiteApi() routes, which no other key may call. Every mutating request of a
 * known key, refused or not, leaves an audit row (key, project, method, route, target, status).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly projects: ProjectsService,
    private readonly audit: AuditRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (
      this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])
    )
      return true;
    const http = context.switchToHttp();
    const req = http.getRequest<AuthedRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new UnauthorizedException('missing API key: send "Authorization: Bearer <key>"');
    const principal = await this.projects.authenticate(match[1]);
    if (!principal) throw new UnauthorizedException('invalid, expired or revoked API key');
    req.principal = principal;
    const siteApi = this.reflector.getAllAndOverride<boolean>(SITE_API, [
      context.getHandler(),
      context.getClass(),
    ]);
    const notAudited = this.reflector.getAllAndOverride<boolean>(NO_AUDIT, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isMutating(req.method))
      this.auditOnFinish(req, http.getResponse<Response>(), principal, notAudited);
    if ((principal.role === 'site') !== Boolean(siteApi))
      throw new ForbiddenError(
        principal.role === 'site'
          ? `a site key can only fetch its federation's work and post its updates, not ${req.method} ${req.path}`
          : `${req.method} ${req.path} is the remote sites' API: it takes a site key`,
      );
    if (isMutating(req.method)) {
      if (principal.role === 'viewer')
        throw new ForbiddenError(
          `a viewer key can only read; ${req.method} ${req.path} needs a member or admin key`,
        );
    }
    return true;
  }

  private auditOnFinish(
    req: AuthedRequest,
    res: Response,
    principal: Principal,
    onlyRefusals = false,
  ): void {
    res.on('finish', () => {
      if (onlyRefusals && res.statusCode !== 401 && res.statusCode !== 403) return;
      const routePath = (req.route as { path?: unknown } | undefined)?.path;
      const params = req.params ?? {};
      const target =
        params.id ?? params.name ?? (res.locals.auditTargetId as string | undefined) ?? null;
      void this.audit
        .insert({
          keyId: principal.keyId,
          projectId: principal.projectId,
          method: req.method,
          route: typeof routePath === 'string' ? `${req.baseUrl}${routePath}` : req.path,
          targetId: target === null ? null : String(target).slice(0, 200),
          status: res.statusCode,
        })
        .catch(() => undefined);
    });
  }
}

/** Records the id of what a mutating request created (the response body's `id`) for the audit. */
@Injectable()
export class AuditTargetInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    if (!isMutating(req.method)) return next.handle();
    return next.handle().pipe(
      tap((body: unknown) => {
        const id = (body as { id?: unknown } | null)?.id;
        if (typeof id === 'string') http.getResponse<Response>().locals.auditTargetId = id;
      }),
    );
  }
}

/** The authenticated project of the request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => {
    const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
    if (!principal) throw new UnauthorizedException('missing API key');
    return principal;
  },
);
