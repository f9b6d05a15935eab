import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DATABASE_URL } from '../database/database.module';
import {
  EVENTS_CHANNEL,
  fromRow,
  LiveEvent,
  matches,
  Notice,
  parseNotice,
  StreamFilter,
} from './live-event';
import { JobsRepository } from '../jobs/jobs.repository';

interface Subscriber {
  filter: StreamFilter;
  send: (e: LiveEvent) => void;
}

const RECONNECT_MS = [250, 1000, 5000];

/**
 * One LISTEN connection per API process, fanned out to every open stream. It opens with the
 * first subscriber and closes with the last. Notices are handled strictly in arrival (commit)
 * order; those naming a job_events row are read in one query per batch, and only when a stream
 * of that project is open. A lost connection is opened again; streams stay open meanwhile
 * (the browser's Last-Event-ID resume covers a gap when it reconnects).
 */
@Injectable()
export class JobEventsHub implements OnModuleDestroy {
  private readonly log = new Logger(JobEventsHub.name);
  private readonly subscribers = new Set<Subscriber>();
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private pending: Notice[] = [];
  private draining = false;
  private failures = 0;
  private closed = false;

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly jobs: JobsRepository,
  ) {}

  /** Resolves once the listener is up: events committed after that reach `send`. */
  async subscribe(filter: StreamFilter, send: (e: LiveEvent) => void): Promise<() => void> {
    const sub: Subscriber = { filter, send };
    this.subscribers.add(sub);
    await this.ensureListening();
    return () => {
      this.subscribers.delete(sub);
      if (this.subscribers.size === 0) void this.stopListening();
    };
  }

  get listening(): boolean {
    return this.client !== null;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    await this.stopListening();
  }

  private async ensureListening(): Promise<void> {
    if (this.client || this.closed) return;
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    await this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'autodl-api-events',
    });
    const lost = (): void => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      const notice = parseNotice(n.payload);
      if (!notice || !this.wanted(notice.projectId)) return;
      this.pending.push(notice);
      void this.drain();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.client = client;
      this.failures = 0;
      if (this.subscribers.size === 0 || this.closed) await this.stopListening();
    } catch (error) {
      client.end().catch(() => undefined);
      this.log.warn(`live events: cannot listen (${(error as Error).message})`);
      this.reconnectLater();
    }
  }

  private reconnectLater(): void {
    if (this.closed || this.subscribers.size === 0) return;
    const delay = RECONNECT_MS[Math.min(this.failures++, RECONNECT_MS.length - 1)];
    setTimeout(() => void this.ensureListening(), delay).unref();
  }

  private async stopListening(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private wanted(projectId: string): boolean {
    for (const s of this.subscribers) if (s.filter.projectId === projectId) return true;
    return false;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const ids = batch.flatMap((n) => (n.t === 'event' ? [n.id] : []));
        const rows = await this.jobs.liveEventsByIds(ids).catch((error: Error) => {
          this.log.warn(`live events: cannot read ${ids.length} events (${error.message})`);
          return [];
        });
        const byId = new Map(rows.map((r) => [r.id, fromRow(r)]));
        for (const n of batch) {
          const event = n.t === 'event' ? byId.get(n.id) : n.event;
          if (event) this.publish(n.projectId, event);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private publish(projectId: string, event: LiveEvent): void {
    for (const s of this.subscribers) {
      if (!matches(s.filter, projectId, event)) continue;
      try {
        s.send(event);
      } catch {
        this.subscribers.delete(s);
      }
    }
  }
}
