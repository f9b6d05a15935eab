import * as crypto from 'node:crypto';
import * as os from 'node:os';

/** A worker's identity in `jobs.worker_id`: `host:pid:nonce` (the nonce tells restarts apart). */
export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
}

/** The pid inside a worker id made by newWorkerId() on this host, or null. */
export function workerPid(workerId: string | null): number | null {
  if (!workerId) return null;
  const [host, pid] = workerId.split(':');
  return host === os.hostname() && /^\d+$/.test(pid) ? Number(pid) : null;
}
