/**
 * Local sites trained in `federation-site` jobs (site-job.handler.ts): on the worker pool one job
 * per site, so the sites of a round train in parallel on the compute lane; with a Kubernetes
 * placement one job per (namespace, nodeSelector) group, which the executor runs as one Indexed
 * Job (a pod per site). Per round attempt the coordinator posts each site's work item (the task
 * and the global weights, exactly what a remote agent gets), queues the group's job once
 * (idempotency key: a re-queued coordinator adopts the job and the items its earlier attempt
 * left, and keeps their answers), and waits for the answer. A site whose job ended without
 * answering (crash, SIGKILL, OOM) fails at once rather than at the timeout; the loop's quorum
 * rule decides what the round does without it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeWithControl, encodeWithControl } from './federation-checkpoint';
import type { WeightSet } from './core/weights';
import type { DpSpec } from './core/differential-privacy';
import type { RemoteModelTask } from './remote-placement';
import type { SitePlacementSpec } from './federation.schema';
import type { SiteJobs } from './site-jobs';
import type {
  RoundScope,
  SiteClassStats,
  SiteEvaluation,
  SitePlacement,
  SiteRoundResult,
  SiteRoundWork,
} from './site-placement';
import type { SiteWorkRepository, WorkItem } from './storage/site-work.repository';

/** A stats item's answer (its shared state: float32 counts and moments) as floats. */
export function statsOf(item: WorkItem): Float32Array {
  const b = item.sharedState ?? Buffer.alloc(0);
  if (b.byteLength % 4 !== 0) throw new Error(`statistics of ${b.byteLength} bytes`);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** A site's statistics (float32) as the bytes of its answer (the inverse of statsOf). */
export function statsBuffer(stats: Float32Array): Buffer {
  return Buffer.from(stats.buffer, stats.byteOffset, stats.byteLength);
}

export interface PooledSite {
  name: string;
  samples: number;
  placement: SitePlacementSpec | null;
}

export interface PlacementGroup {
  /** Stable key of the group: `pool-<site>` or `ns-<namespace>-<n>`. */
  key: string;
  sites: string[];
  placement: SitePlacementSpec | null;
}

/**
 * The rule for Indexed Jobs: one Job cannot span namespaces nor have two pod templates, so
 * sites that share (namespace, nodeSelector) form one group (one Indexed Job per round), in spec
 * order; a site without placement is a group of its own (a pool job).
 */
export function placementGroups(sites: readonly PooledSite[]): PlacementGroup[] {
  const groups: PlacementGroup[] = [];
  const byKey = new Map<string, PlacementGroup>();
  for (const s of sites) {
    if (!s.placement) {
      groups.push({ key: `pool-${s.name}`, sites: [s.name], placement: null });
      continue;
    }
    const selector = Object.entries(s.placement.nodeSelector ?? {}).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    const id = JSON.stringify([s.placement.namespace, selector]);
    let g = byKey.get(id);
    if (!g) {
      const n = groups.filter((x) => x.placement?.namespace === s.placement!.namespace).length;
      g = {
        key: `ns-${s.placement.namespace}-${n}`,
        sites: [],
        placement: { namespace: s.placement.namespace, nodeSelector: Object.fromEntries(selector) },
      };
      byKey.set(id, g);
      groups.push(g);
    }
    g.sites.push(s.name);
  }
  return groups;
}

export class PooledPlacement implements SitePlacement {
  readonly placement = 'pool' as const;
  private readonly groups: PlacementGroup[];
  /** The job of each (group, round, attempt), queued once. */
  private readonly jobs = new Map<string, Promise<string>>();
  /** The work item of each (site, round, attempt, kind), posted (or adopted) once. */
  private readonly items = new Map<string, Promise<string>>();

  constructor(
    private readonly federationId: string,
    private readonly projectId: string,
    private readonly pooled: readonly PooledSite[],
    private readonly work: SiteWorkRepository,
    private readonly siteJobs: SiteJobs,
    private readonly model: RemoteModelTask,
    private readonly o: {
      dp: DpSpec | null;
      siteTimeoutMs: number;
      pollMs: number;
      cancelled: () => boolean;
    },
  ) {
    this.groups = placementGroups(pooled);
  }

  get sites(): readonly { name: string; samples: number }[] {
    return this.pooled.map((s) => ({ name: s.name, samples: s.samples }));
  }

  async train(site: string, work: SiteRoundWork): Promise<SiteRoundResult> {
    const scope = { round: work.round, attempt: work.attempt };
    const done = await this.exchange(
      site,
      'train',
      scope,
      work.global ?? [],
      { plan: work.plan, seed: work.seed, dp: this.o.dp },
      work.control,
    );
    const r = done.report ?? {};
    const shared = decodeWithControl(
      done.sharedState as Buffer,
      this.model.sizes,
      work.plan.scaffold === true,
    );
    return {
      share: {
        site,
        samples: Number(r.samples),
        weights: shared.weights,
        ...(shared.control ? { controlDelta: shared.control } : {}),
      },
      trainLoss: r.trainLoss ?? null,
      trainAccuracy: r.trainAccuracy ?? null,
      localAccuracy: r.localAccuracy ?? null,
    };
  }

  async evaluateGlobal(global: WeightSet, scope?: RoundScope): Promise<SiteEvaluation[]> {
    if (!scope) throw new Error('site jobs evaluate within a round: pass its scope');
    // A skipped site gets no item; its group's job (an Indexed Job's pod) finds none and ends.
    const asked = this.pooled.filter((s) => !scope.skip?.includes(s.name));
    const answers = await Promise.allSettled(
      asked.map((s) => this.exchange(s.name, 'evaluate', scope, global, {})),
    );
    return answers.flatMap((a, i) => {
      // A site whose job is gone is left out of the pooled accuracy.
      if (a.status !== 'fulfilled') return [];
      const r = a.value.report ?? {};
      return Number(r.count) > 0
        ? [
            {
              site: asked[i].name,
              accuracy: Number(r.accuracy),
              loss: Number(r.loss),
              count: Number(r.count),
              ...(a.value.confusion ? { confusion: a.value.confusion } : {}),
            },
          ]
        : [];
    });
  }

  async classStats(
    global: WeightSet,
    scope: RoundScope & { featureDim: number },
  ): Promise<SiteClassStats[]> {
    const asked = this.pooled.filter((s) => !scope.skip?.includes(s.name));
    const answers = await Promise.allSettled(
      asked.map((s) =>
        this.exchange(s.name, 'stats', scope, global, { featureDim: scope.featureDim }),
      ),
    );
    return answers.map((a, i) =>
      a.status === 'fulfilled'
        ? { site: asked[i].name, stats: statsOf(a.value) }
        : { site: asked[i].name, error: (a.reason as Error).message },
    );
  }

  /** The coordinator was cancelled: its site jobs are cancelled with it. */
  async cancelAll(): Promise<void> {
    for (const p of this.jobs.values()) {
      const id = await p.catch(() => null);
      if (id)
        await this.siteJobs.cancel(this.projectId, this.federationId, id).catch(() => undefined);
    }
  }

  dispose(): void {}

  private async exchange(
    site: string,
    kind: WorkItem['kind'],
    scope: RoundScope,
    global: WeightSet,
    task: Record<string, unknown>,
    control?: WeightSet,
  ): Promise<WorkItem> {
    // Registered before the first await: the loop asks for every site of the round at once, so
    // a group's job (jobOf) can wait until all its sites' items exist before it is queued.
    const item = this.itemOf(site, scope, kind, global, task, control);
    const id = await item;
    const jobId = await this.jobOf(site, scope, kind);
    const deadline = Date.now() + this.o.siteTimeoutMs;
    while (Date.now() < deadline && !this.o.cancelled()) {
      const w = await this.work.find(id);
      if (w?.status === 'done') return w;
      const job = (await this.siteJobs.statuses([jobId])).get(jobId);
      if (job && job.status !== 'queued' && job.status !== 'running') {
        // One last look: the job may have answered just before it ended.
        const last = await this.work.find(id);
        if (last?.status === 'done') return last;
        await this.work.expire(id);
        throw new Error(
          `site job ${jobId} ended ${job.status} without answering its ${kind} work${job.error ? `: ${job.error}` : ''}`,
        );
      }
      await sleep(this.o.pollMs);
    }
    await this.work.expire(id);
    throw new Error(
      `site ${site} did not answer its ${kind} work within ${this.o.siteTimeoutMs} ms`,
    );
  }

  private itemOf(
    site: string,
    scope: RoundScope,
    kind: WorkItem['kind'],
    global: WeightSet,
    task: Record<string, unknown>,
    control?: WeightSet,
  ): Promise<string> {
    const key = `${site}:${scope.round}:${scope.attempt}:${kind}`;
    let item = this.items.get(key);
    if (!item) {
      item = (async () =>
        (await this.work.findLive(this.federationId, site, scope.round, scope.attempt, kind)) ??
        (await this.work.post({
          federationId: this.federationId,
          site,
          round: scope.round,
          attempt: scope.attempt,
          kind,
          task: { ...task, model: this.model },
          globalState: encodeWithControl(global, control),
        })))();
      this.items.set(key, item);
    }
    return item;
  }

  private jobOf(site: string, scope: RoundScope, work: WorkItem['kind']): Promise<string> {
    const group = this.groups.find((g) => g.sites.includes(site));
    if (!group) throw new Error(`unknown site ${site}`);
    const key = `federation-site:${this.federationId}:${scope.round}:${scope.attempt}:${work}:${group.key}`;
    let job = this.jobs.get(key);
    if (!job) {
      // Every site of the group has its item before the job (an Indexed Job's pods) starts.
      const items = group.sites.flatMap((s) => {
        const p = this.items.get(`${s}:${scope.round}:${scope.attempt}:${work}`);
        return p ? [p] : [];
      });
      job = Promise.all(items).then(() =>
        this.siteJobs.submit(
          this.projectId,
          {
            federationId: this.federationId,
            round: scope.round,
            attempt: scope.attempt,
            work,
            sites: group.sites,
            // On Kubernetes: one Indexed Job of as many pods as the group has sites.
            placement: group.placement && {
              ...group.placement,
              completions: group.sites.length,
            },
          },
          key,
        ),
      );
      this.jobs.set(key, job);
    }
    return job;
  }
}
