import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Principal, ProjectsService } from './projects.service';

const PUBLIC = 'autodl:public';
/** Routes outside /v1 (health, metrics, docs) that need no API key. */
export const Public = () => SetMetadata(PUBLIC, true);

type AuthedRequest = Request & { principal?: Principal };

/** Every route needs `Authorization: Bearer <key>` unless marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly projects: ProjectsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (
      this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])
    )
      return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new UnauthorizedException('missing API key: send "Authorization: Bearer <key>"');
    const principal = await this.projects.authenticate(match[1]);
    if (!principal) throw new UnauthorizedException('invalid or revoked API key');
    req.principal = principal;
    return true;
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
