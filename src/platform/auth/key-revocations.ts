import { Client } from 'pg';
import { KEYS_CHANNEL } from './keys.repository';

/**
 * LISTENs on KEYS_CHANNEL so that a key revoked through any API process is dropped from this
 * process's auth cache at once (the NOTIFY arrives at the revoking transaction's commit). While
 * the connection is down `live` is false and callers must not trust their cache; it reconnects
 * with a backoff.
 */
export class KeyRevocations {
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private retryMs = 250;
  private retry: NodeJS.Timeout | null = null;
  live = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly onRevoked: (hash: string) => void,
  ) {}

  /** Starts listening (once); resolves when connected or when the attempt failed. */
  start(): Promise<void> {
    // While a retry is scheduled the backoff decides, not the request rate.
    if (this.closed || this.live || this.retry) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.live = false;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'autodl-api-keys-listen',
    });
    const lost = () => {
      if (this.client !== client) return;
      this.live = false;
      this.client = null;
      // Whatever was revoked meanwhile is unknown: drop everything cached.
      this.onRevoked('*');
      this.scheduleRetry();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      if (n.channel === KEYS_CHANNEL) this.onRevoked(n.payload ?? '*');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${KEYS_CHANNEL}`);
      if (this.closed) return void (await client.end());
      this.client = client;
      this.live = true;
      this.retryMs = 250;
    } catch {
      await client.end().catch(() => undefined);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.start();
    }, this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }
}
