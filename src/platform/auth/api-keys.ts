import * as crypto from 'node:crypto';

/**
 * API key format: `adl_` + 32 random bytes in base64url. Keys carry 256 bits of entropy, so a
 * plain SHA-256 is a sound at-rest hash (no password stretching needed) and allows an indexed
 * lookup by hash.
 */
export const KEY_PREFIX = 'adl_';

export function generateApiKey(): string {
  return KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX) && key.length === KEY_PREFIX.length + 43;
}
