import * as fs from 'node:fs';
import * as path from 'node:path';

/** AUTODL_HOME holds the database, artifacts and admin.key: the service's user only. */
export const HOME_MODE = 0o700;

/**
 * Creates AUTODL_HOME 0700 (its missing parents get the default mode) and takes group and
 * other access away from an existing one. Folders above it are never touched.
 */
export function prepareHome(home: string): void {
  fs.mkdirSync(path.dirname(home), { recursive: true });
  try {
    fs.mkdirSync(home, { mode: HOME_MODE });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  const stat = fs.statSync(home);
  const mine = typeof process.getuid !== 'function' || stat.uid === process.getuid();
  if (mine && (stat.mode & 0o777) !== HOME_MODE) fs.chmodSync(home, HOME_MODE);
}
