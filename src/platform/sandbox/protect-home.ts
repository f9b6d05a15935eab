import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * AUTODL_HOME holds the embedded database, every project's artifacts and admin.key: only the
 * service's user may enter it (0700), so a trial running as another user reaches none of it.
 * One exception: an embedded PostgreSQL run as the `postgres` user (the service is root) must
 * traverse it to its data directory, so the home is then 0711 (enter, not list) and its other
 * entries stay closed: artifacts/ 0700, admin.key and pg.password 0600.
 */
export function protectHome(home: string): { mode: number } {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const pg = path.join(home, 'pg');
  const me = process.getuid?.();
  const pgOwnedByOther = fs.existsSync(pg) && me !== undefined && fs.statSync(pg).uid !== me;
  const mode = pgOwnedByOther ? 0o711 : 0o700;
  chmodIfOwner(home, mode);
  const artifacts = path.join(home, 'artifacts');
  fs.mkdirSync(artifacts, { recursive: true, mode: 0o700 });
  chmodIfOwner(artifacts, 0o700);
  // admin.key, pg.password and anything else the service keeps here: its own entries only.
  for (const entry of fs.readdirSync(home, { withFileTypes: true })) {
    const full = path.join(home, entry.name);
    if (fs.lstatSync(full).uid !== me) continue;
    if (entry.isDirectory()) chmodIfOwner(full, 0o700);
    else if (entry.isFile()) chmodIfOwner(full, 0o600);
  }
  return { mode };
}

/**
 * A volume's mount point may belong to root with the pod's fsGroup (Kubernetes): there the
 * service cannot chmod it, and the pod boundary applies instead (docs/security.md).
 */
function chmodIfOwner(file: string, mode: number): void {
  try {
    fs.chmodSync(file, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}
