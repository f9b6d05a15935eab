import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { QueueStatsRepository } from '../jobs/queue-stats.repository';
import { JOB_STATUSES } from '../jobs/job.entity';

/** Prometheus metrics of this process: HTTP latency, jobs by status, queue depth, runtime. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(stats: QueueStatsRepository) {
    collectDefaultMetrics({ register: this.registry, prefix: 'autodl_' });
    this.httpDuration = new Histogram({
      name: 'autodl_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    const jobs = new Gauge({
      name: 'autodl_jobs',
      help: 'Jobs by status',
      labelNames: ['status'],
      registers: [this.registry],
      collect: async () => {
        const rows = await stats.byStatus();
        for (const status of JOB_STATUSES)
          jobs.set({ status }, rows.find((r) => r.status === status)?.n ?? 0);
      },
    });
    const depth = new Gauge({
      name: 'autodl_queue_depth',
      help: 'Jobs waiting to be claimed',
      registers: [this.registry],
      collect: async () => {
        depth.set(await stats.queuedCount());
      },
    });
  }
}
