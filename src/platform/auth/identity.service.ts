import { Injectable } from '@nestjs/common';
import { ForbiddenError } from '../errors/domain-error';
import { IdentityRepository } from './identity.repository';
import type { Principal } from './projects.service';

export type ConsoleRole = 'admin' | 'member' | 'viewer';

export interface Identity {
  project: string;
  role: ConsoleRole;
  keyId: string;
  keyName: string | null;
}

/**
 * Who a request's key is, for the console (GET /v1/whoami) and admin-only routes. The role is
 * the key's own once keys carry one (`principal.role`, h/sandbox); until then the bootstrap key
 * of the `default` project is the admin and every other key a member (all keys may write today).
 */
@Injectable()
export class IdentityService {
  constructor(private readonly repository: IdentityRepository) {}

  async of(principal: Principal & { role?: ConsoleRole }): Promise<Identity> {
    const key = await this.repository.key(principal.keyId);
    return {
      project: principal.projectName,
      role: principal.role ?? (key?.bootstrap ? 'admin' : 'member'),
      keyId: principal.keyId,
      keyName: key?.name ?? null,
    };
  }

  async assertAdmin(principal: Principal): Promise<Identity> {
    const who = await this.of(principal);
    if (who.role !== 'admin') throw new ForbiddenError('this needs an admin key');
    return who;
  }
}
