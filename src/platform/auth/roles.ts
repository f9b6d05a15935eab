/**
 * Roles of API keys (pure rules, docs/security.md):
 * - `viewer`: reads (GET) its project; every other method is refused with 403.
 * - `member`: reads and writes its project; runs command trials where the project allows them;
 *   manages the member and viewer keys of its project.
 * - `admin`: a member of its own project that also manages every project (keys, settings) and
 *   reads the audit log.
 * - `site`: a remote site agent of one federation (src/collab, docs/collab.md): it may call only
 *   the routes marked @SiteApi() (fetch its work and the global weights, post its update), and
 *   those only for its own federation and site; every other route is a 403.
 */
export const ROLES = ['admin', 'member', 'viewer', 'site'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

const RANK: Record<Role, number> = { site: -1, viewer: 0, member: 1, admin: 2 };

export function atLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** Methods that change nothing; a viewer key may use only these. */
export const READ_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS'];

export function isMutating(method: string): boolean {
  return !READ_METHODS.includes(method.toUpperCase());
}
