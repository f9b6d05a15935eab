import type { BackendPreference } from '../../ml/backend';
import { UnavailableError } from '../../platform/errors/domain-error';
import { RequestRates } from '../core/request-rates';
import {
  DeploymentRuntime,
  type PredictResult,
  type RuntimeObserver,
} from '../runtime/deployment-runtime';
import type { ServingMetrics } from '../serving-metrics';
import type { DeploymentHost, HostedDeployment, HostStatus } from './deployment-host.port';

interface Entry {
  name: string;
  generation: number;
  /** The running runtime once started. */
  runtime?: DeploymentRuntime;
  starting?: Promise<DeploymentRuntime>;
  error?: string;
  /** Served and dropped requests per second over the last seconds (the console's req/s). */
  rates: RequestRates;
}

/**
 * Deployments as worker threads of this API process (local executor). A new generation of a
 * running deployment is a `reconfigure` (instances, batching, queue): nothing waiting or running
 * is dropped.
 */
export class LocalDeploymentHost implements DeploymentHost {
  readonly kind = 'local' as const;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly backend: BackendPreference,
    private readonly metrics: ServingMetrics,
  ) {
    metrics.attach({
      gauges: () =>
        [...this.entries.entries()].flatMap(([id, e]) => {
          if (!e.runtime) return [];
          const m = e.runtime.metrics();
          return [
            {
              id,
              name: e.name,
              queueLength: m.queueLength,
              instances: m.instances,
              busy: m.busyInstances,
            },
          ];
        }),
    });
  }

  async apply(d: HostedDeployment): Promise<void> {
    const e = this.entries.get(d.id);
    if (e?.starting) await e.starting.catch(() => undefined);
    const current = this.entries.get(d.id);
    if (current?.runtime) {
      if (current.generation >= d.generation) return;
      await current.runtime.reconfigure({
        instances: d.config.instances,
        batch: d.config.batch,
        queue: d.config.queue,
      });
      current.generation = d.generation;
      return;
    }
    if (current && current.generation >= d.generation && current.error) {
      throw new UnavailableError(`deployment ${d.name} failed to start: ${current.error}`);
    }
    const rates = new RequestRates(performance.now());
    const starting = DeploymentRuntime.start({
      modelDir: d.modelDir,
      instances: d.config.instances,
      batch: d.config.batch,
      queue: d.config.queue,
      ...(d.config.cutoff && d.cutoffModelDir
        ? { cutoff: { queueThreshold: d.config.cutoff.queueThreshold, modelDir: d.cutoffModelDir } }
        : {}),
      backend: this.backend,
      observer: withRates(this.metrics.observer(d.id, d.name), rates),
    });
    const entry: Entry = { name: d.name, generation: d.generation, starting, rates };
    this.entries.set(d.id, entry);
    try {
      entry.runtime = await starting;
    } catch (err) {
      entry.error = (err as Error).message;
      throw new UnavailableError(`deployment ${d.name} failed to start: ${entry.error}`);
    } finally {
      entry.starting = undefined;
    }
    // Removed while starting: stop what was started.
    if (this.entries.get(d.id) !== entry) await entry.runtime.stop();
  }

  async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.metrics.forget(id, e.name);
    const rt = e.runtime ?? (await e.starting?.catch(() => undefined));
    await rt?.stop();
  }

  async predict(id: string, sample: Float32Array, deadlineMs?: number): Promise<PredictResult> {
    const e = this.entries.get(id);
    const rt = e?.runtime ?? (await e?.starting?.catch(() => undefined));
    if (!rt) {
      throw new UnavailableError(
        e?.error
          ? `the deployment failed to start: ${e.error}`
          : 'the deployment is not running here yet',
      );
    }
    return rt.predict(sample, deadlineMs === undefined ? {} : { deadlineMs });
  }

  async status(id: string): Promise<HostStatus> {
    const e = this.entries.get(id);
    if (!e) return { state: 'absent', generation: 0 };
    if (e.runtime) {
      return {
        state: 'running',
        generation: e.generation,
        metrics: e.runtime.metrics(),
        rates: e.rates.rates(performance.now()),
      };
    }
    if (e.error) return { state: 'failed', generation: e.generation, error: e.error };
    return { state: 'starting', generation: e.generation };
  }

  hosted(): Promise<string[]> {
    return Promise.resolve([...this.entries.keys()]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.remove(id)));
  }
}

/** The Prometheus observer, plus the recent-rate counts. */
function withRates(observer: RuntimeObserver, rates: RequestRates): RuntimeObserver {
  return {
    batch: (size, serviceMs) => observer.batch?.(size, serviceMs),
    served: (queueMs, serviceMs, batchSize) => {
      rates.record('served', performance.now());
      observer.served?.(queueMs, serviceMs, batchSize);
    },
    dropped: (reason) => {
      rates.record('dropped', performance.now());
      observer.dropped?.(reason);
    },
  };
}
