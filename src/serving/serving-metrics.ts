import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../platform/metrics/metrics.service';
import { DROP_REASONS, type DropReason } from './core/batcher';
import type { RuntimeObserver } from './runtime/deployment-runtime';

type Labels = 'deployment' | 'name';

/** Live gauges of the deployments this process hosts, read at scrape time. */
export interface ServingGaugeSource {
  gauges(): { id: string; name: string; queueLength: number; instances: number; busy: number }[];
}

/**
 * Prometheus series of the deployments served by this process, on the service's /metrics
 * (labels `deployment` = id, `name`): queue length and instances (gauges), batch sizes,
 * service time per batch size, request latency and queue wait (histograms: p50/p95/p99 with
 * histogram_quantile), served and dropped requests by reason (counters).
 */
@Injectable()
export class ServingMetrics {
  private source: ServingGaugeSource = { gauges: () => [] };
  private readonly batchSize: Histogram<Labels>;
  private readonly batchService: Histogram<Labels | 'batch_size'>;
  private readonly latency: Histogram<Labels>;
  private readonly queueWait: Histogram<Labels>;
  private readonly served: Counter<Labels>;
  private readonly dropped: Counter<Labels | 'reason'>;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    const seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.batchSize = new Histogram({
      name: 'autodl_serving_batch_size',
      help: 'Requests per batch sent to a model instance',
      labelNames: ['deployment', 'name'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.batchService = new Histogram({
      name: 'autodl_serving_batch_service_seconds',
      help: 'Service time of a batch (dispatch to result, thread hand-off included) by batch size',
      labelNames: ['deployment', 'name', 'batch_size'],
      buckets: seconds,
      registers,
    });
    this.latency = new Histogram({
      name: 'autodl_serving_request_duration_seconds',
      help: 'Latency of a served request: queue wait plus its batch service time',
      labelNames: ['deployment', 'name'],
      buckets: seconds,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'autodl_serving_queue_wait_seconds',
      help: 'Time a served request waited in the queue',
      labelNames: ['deployment', 'name'],
      buckets: seconds,
      registers,
    });
    this.served = new Counter({
      name: 'autodl_serving_requests_total',
      help: 'Requests served',
      labelNames: ['deployment', 'name'],
      registers,
    });
    this.dropped = new Counter({
      name: 'autodl_serving_dropped_requests_total',
      help: 'Requests not served, by reason (queue_full: 429; timeout, deadline, stopped: 503)',
      labelNames: ['deployment', 'name', 'reason'],
      registers,
    });
    const queue = new Gauge({
      name: 'autodl_serving_queue_length',
      help: 'Requests waiting for a model instance',
      labelNames: ['deployment', 'name'],
      registers,
      collect: () => {
        queue.reset();
        for (const g of this.source.gauges())
          queue.set({ deployment: g.id, name: g.name }, g.queueLength);
      },
    });
    const instances = new Gauge({
      name: 'autodl_serving_instances',
      help: 'Model instances ready (state=ready) and running a batch (state=busy)',
      labelNames: ['deployment', 'name', 'state'],
      registers,
      collect: () => {
        instances.reset();
        for (const g of this.source.gauges()) {
          instances.set({ deployment: g.id, name: g.name, state: 'ready' }, g.instances);
          instances.set({ deployment: g.id, name: g.name, state: 'busy' }, g.busy);
        }
      },
    });
  }

  /** Where the live gauges come from (the host). */
  attach(source: ServingGaugeSource): void {
    this.source = source;
  }

  /** The runtime observer feeding one deployment's series. */
  observer(id: string, name: string): RuntimeObserver {
    const labels = { deployment: id, name };
    return {
      batch: (size, serviceMs) => {
        this.batchSize.observe(labels, size);
        this.batchService.observe({ ...labels, batch_size: String(size) }, serviceMs / 1000);
      },
      served: (queueMs, serviceMs) => {
        this.served.inc(labels);
        this.latency.observe(labels, (queueMs + serviceMs) / 1000);
        this.queueWait.observe(labels, queueMs / 1000);
      },
      dropped: (reason: DropReason) => this.dropped.inc({ ...labels, reason }),
    };
  }

  /** Forgets a deleted deployment's series (per-batch-size service times stay until restart). */
  forget(id: string, name: string): void {
    const labels = { deployment: id, name };
    for (const h of [this.batchSize, this.latency, this.queueWait]) h.remove(labels);
    this.served.remove(labels);
    for (const reason of DROP_REASONS) this.dropped.remove({ ...labels, reason });
  }
}
