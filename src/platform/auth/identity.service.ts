import { Injectable } from '@nestjs/common';
import { ForbiddenError } from '../errors/domain-error';
import { IdentityRepository } from './identity.repository';
import type { Principal } from './projects.service';
import type { Role } from './roles';

export interface Identity {
  project: string;
  role: Role;
  keyId: string;
  keyName: string | null;
}

/** Who a request's key is, for the console (GET /v1/whoami) and admin-only routes. */
@Injectable()
export class IdentityService {
  constructor(private readonly repository: IdentityRepository) {}

  async of(principal: Principal): Promise<Identity> {
    return {
      project: principal.projectName,
      role: principal.role,
      keyId: principal.keyId,
      keyName: await this.repository.keyName(principal.keyId),
    };
  }

  assertAdmin(principal: Principal): void {
    if (principal.role !== 'admin') throw new ForbiddenError('this needs an admin key');
  }
}
