import * as fs from 'node:fs';
import * as path from 'node:path';

/** AUTODL_HOME holds the database, artifacts and admin.key: the service's user only. */
export const HOME_MODE = 0o700;

/**
 * Creates AUTODL_HOME 0700 (its missing parents get the default mode) and takes group and
 * other access away from an existing one. Folders above it are never touched. Beside an embedded
 * PostgreSQL run as another user (the service is root) it stays 0711: that server reaches its
 * data directory through the home for as long as it runs (embedded-postgres.ts), and closing
 * the home under it (a second process on the same home) would make its next checkpoint fail.
 */
export function prepareHome(home: string): void {
  fs.mkdirSync(path.dirname(home), { recursive: true });
  try {
    fs.mkdirSync(home, { mode: HOME_MODE });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  const stat = fs.statSync(home);
  const me = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (me !== undefined && stat.uid !== me) return;
  const pg = path.join(home, 'pg');
  const pgOwnedByOther = me !== undefined && fs.existsSync(pg) && fs.statSync(pg).uid !== me;
  const mode = pgOwnedByOther ? HOME_MODE | 0o011 : HOME_MODE;
  if ((stat.mode & 0o777) !== mode) fs.chmodSync(home, mode);
}
