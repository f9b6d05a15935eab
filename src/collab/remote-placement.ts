/**
 * Placement 3: remote site agents. For each site and round the coordinator posts a work item
 * (the task and the global weights) and waits for the agent's answer, polling the table; an agent
 * that does not answer within `siteTimeoutMs` counts as a failed site for the round (the quorum
 * rule decides) and is not asked to evaluate that round's global model. What comes back is the
 * shared state the schema allowed (site-api.schema.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeWithControl, encodeWithControl } from './federation-checkpoint';
import type { WeightSet } from './core/weights';
import { statsOf } from './pooled-placement';
import type {
  RoundScope,
  SiteClassStats,
  SiteEvaluation,
  SitePlacement,
  SiteRoundResult,
  SiteRoundWork,
} from './site-placement';
import type { SiteWorkRepository, WorkItem } from './storage/site-work.repository';

/** What every task tells an agent besides the round's plan. */
export interface RemoteModelTask {
  architecture: string;
  width: number | null;
  inputShape: number[];
  classNames: string[];
  batchSize: number;
  optimizer: string;
  /** Lengths of the weight tensors the global state holds and the update must hold. */
  sizes: number[];
  /**
   * The federation's shared labelled set (a data set id of the coordinator's project), trained on
   * by every site beside its own data: site jobs read it from the registry, a remote agent fetches
   * it once with `GET /v1/site/work/:id/shared`. Absent or null: none.
   */
  sharedDataset?: string | null;
}

export class RemotePlacement implements SitePlacement {
  readonly placement = 'remote' as const;
  private readonly samples = new Map<string, number>();

  constructor(
    private readonly federationId: string,
    private readonly names: readonly string[],
    private readonly work: Pick<SiteWorkRepository, 'post' | 'find' | 'expire'>,
    private readonly model: RemoteModelTask,
    private readonly o: { siteTimeoutMs: number; pollMs: number; cancelled: () => boolean },
  ) {}

  get sites(): readonly { name: string; samples: number }[] {
    return this.names.map((name) => ({ name, samples: this.samples.get(name) ?? 0 }));
  }

  async train(site: string, work: SiteRoundWork): Promise<SiteRoundResult> {
    const done = await this.exchange(
      site,
      'train',
      work.round,
      work.attempt,
      work.global ?? [],
      { plan: work.plan, seed: work.seed },
      work.control,
    );
    const r = done.report ?? {};
    const samples = Number(r.samples);
    this.samples.set(site, samples);
    const shared = decodeWithControl(
      done.sharedState as Buffer,
      this.model.sizes,
      work.plan.scaffold === true,
    );
    return {
      share: {
        site,
        samples,
        weights: shared.weights,
        ...(shared.control ? { controlDelta: shared.control } : {}),
      },
      trainLoss: r.trainLoss ?? null,
      trainAccuracy: r.trainAccuracy ?? null,
      localAccuracy: r.localAccuracy ?? null,
    };
  }

  async evaluateGlobal(global: WeightSet, scope?: RoundScope): Promise<SiteEvaluation[]> {
    // All sites at once, as the loop's train work: an agent that does not answer costs the phase
    // one siteTimeoutMs whatever the number of such sites, not one each.
    const asked = this.names.filter((site) => !scope?.skip?.includes(site));
    const answers = await Promise.allSettled(
      asked.map((site) => this.exchange(site, 'evaluate', -1, 1, global, {})),
    );
    return answers.flatMap((a, i) => {
      // A site that does not evaluate is left out of the pooled accuracy.
      if (a.status !== 'fulfilled') return [];
      const r = a.value.report ?? {};
      return Number(r.count) > 0
        ? [
            {
              site: asked[i],
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
    const asked = this.names.filter((site) => !scope.skip?.includes(site));
    const answers = await Promise.allSettled(
      asked.map((site) =>
        this.exchange(site, 'stats', scope.round, scope.attempt, global, {
          featureDim: scope.featureDim,
        }),
      ),
    );
    return answers.map((a, i) =>
      a.status === 'fulfilled'
        ? { site: asked[i], stats: statsOf(a.value) }
        : { site: asked[i], error: (a.reason as Error).message },
    );
  }

  dispose(): void {}

  private async exchange(
    site: string,
    kind: WorkItem['kind'],
    round: number,
    attempt: number,
    global: WeightSet,
    task: Record<string, unknown>,
    control?: WeightSet,
  ): Promise<WorkItem> {
    const id = await this.work.post({
      federationId: this.federationId,
      site,
      round,
      attempt,
      kind,
      task: { ...task, model: this.model },
      globalState: encodeWithControl(global, control),
    });
    const deadline = Date.now() + this.o.siteTimeoutMs;
    while (Date.now() < deadline && !this.o.cancelled()) {
      const w = await this.work.find(id);
      if (w?.status === 'done') return w;
      await sleep(this.o.pollMs);
    }
    await this.work.expire(id);
    throw new Error(
      `site ${site} did not answer its ${kind} work within ${this.o.siteTimeoutMs} ms`,
    );
  }
}

/** Sites of one federation on several placements (in-process, pool, remote), in the spec's order. */
export class MixedPlacement implements SitePlacement {
  readonly placement = 'local' as const;

  constructor(
    private readonly order: readonly string[],
    private readonly parts: readonly SitePlacement[],
  ) {}

  get sites(): readonly { name: string; samples: number }[] {
    const all = this.parts.flatMap((p) => p.sites);
    return this.order.map(
      (n) => all.find((s) => s.name === n) as { name: string; samples: number },
    );
  }

  train(site: string, work: SiteRoundWork): Promise<SiteRoundResult> {
    return this.partOf(site).train(site, work);
  }

  async evaluateGlobal(global: WeightSet, scope?: RoundScope): Promise<SiteEvaluation[]> {
    const parts = await Promise.all(this.parts.map((p) => p.evaluateGlobal(global, scope)));
    return parts.flat();
  }

  async classStats(
    global: WeightSet,
    scope: RoundScope & { featureDim: number },
  ): Promise<SiteClassStats[]> {
    const parts = await Promise.all(
      this.parts.map((p) => {
        if (!p.classStats) throw new Error(`the ${p.placement} placement gives no statistics`);
        return p.classStats(global, scope);
      }),
    );
    return parts.flat();
  }

  dispose(): void {
    for (const p of this.parts) p.dispose();
  }

  private partOf(site: string): SitePlacement {
    const p = this.parts.find((x) => x.sites.some((s) => s.name === site));
    if (!p) throw new Error(`unknown site ${site}`);
    return p;
  }
}
