import { Client } from 'pg';
import { JOBS_CHANNEL } from './job-statements';

export interface QueueListener {
  close(): Promise<void>;
}

/**
 * A dedicated connection LISTENing on the channel every enqueue, retry and re-queue notifies
 * (delivered at commit, so the row is visible when `onQueued` runs): idle pool workers and the
 * Kubernetes dispatcher wake on it instead of polling. `onLost` runs once if the connection
 * drops (a database restart); the caller's poll still finds the work meanwhile.
 */
export async function listenForQueuedJobs(options: {
  databaseUrl: string;
  applicationName: string;
  onQueued: () => void;
  onLost?: () => void;
}): Promise<QueueListener> {
  const client = new Client({
    connectionString: options.databaseUrl,
    application_name: options.applicationName,
  });
  let closed = false;
  const drop = (): void => {
    if (closed) return;
    closed = true;
    options.onLost?.();
    client.end().catch(() => undefined);
  };
  client.on('error', drop);
  client.on('end', drop);
  try {
    await client.connect();
    client.on('notification', () => options.onQueued());
    await client.query(`LISTEN ${JOBS_CHANNEL}`);
  } catch (error) {
    drop();
    throw error;
  }
  return {
    close: async () => {
      closed = true;
      await client.end().catch(() => undefined);
    },
  };
}
