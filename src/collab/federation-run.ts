/**
 * The coordinator loop of a federation, on any placement: per round, every site trains from the
 * global state and shares (SitePlacement.train), the coordinator screens the shares (NaN, shape,
 * norm), retries the round when fewer than `quorum` were accepted, aggregates, meters the bytes
 * each way, has every site that trained evaluate the new global model on its own test split, and
 * records it.
 */
import type { FederatedAlgorithm, SiteShare } from './core/federated-algorithm';
import { screenUpdates, type ScreeningRule } from './core/robust-aggregation';
import type { DistillationOutcome, Fuser } from './core/ensemble-distillation';
import { siteDisagreement } from './core/scaffold';
import { weightBytes } from './core/weights';
import type { RoundRow, SiteRoundRow } from './storage/federations.repository';
import type { SiteEvaluation, SitePlacement, SiteRoundResult } from './site-placement';
import { UnprocessableError } from '../platform/errors/domain-error';

export interface FederationProgress {
  /** Called after each round with its row and (weights algorithms) the new global weights. */
  round(row: RoundRow, roundsPlanned: number, global: Float32Array[] | undefined): Promise<void>;
  log(message: string, level?: 'info' | 'warn'): Promise<void>;
  /**
   * Optional: the round's client drift, sqrt(sum_i p_i ||y_i - ybar||^2) over the accepted
   * sites' weights (core/scaffold.ts siteDisagreement); benches record it.
   */
  drift?(round: number, disagreement: number): void;
  /** Optional: a round's server distillation (FedDF) and the coordinator CPU seconds it took. */
  fused?(round: number, outcome: DistillationOutcome, cpuSeconds: number): void;
  cancelled(): boolean;
}

export interface FederationOutcome {
  rounds: RoundRow[];
  /** weights algorithms: the final global weights. */
  global?: Float32Array[];
  final: SiteEvaluation[];
  bytesTotal: number;
}

export interface FederationLoopOptions {
  algorithm: FederatedAlgorithm;
  placement: SitePlacement;
  rounds: number;
  /** Rounds an earlier attempt finished, and the global weights after them. */
  resume?: { roundsDone: number; global?: Float32Array[] };
  initialGlobal?: Float32Array[];
  screening: ScreeningRule;
  roundRetries: number;
  seed: number;
  /** Number of floats in one site's logits on the public set (codistill). */
  logitsLength?: number;
  /**
   * Server-side ensemble distillation (FedDF, server-distillation.ts): after each round's
   * aggregate, the coordinator fine-tunes it towards the accepted sites' ensemble on its public
   * set. Weights algorithms only; nothing more crosses a site boundary.
   */
  fuse?: Fuser;
}

export class RoundQuorumError extends UnprocessableError {}

/** Bytes of a float32 array sent over the wire. */
const floats = (a: Float32Array | undefined): number => a?.byteLength ?? 0;

export function shareBytes(s: SiteShare): number {
  return (
    (s.weights ? weightBytes(s.weights) : 0) +
    (s.controlDelta ? weightBytes(s.controlDelta) : 0) +
    floats(s.logits)
  );
}

/** Sample-weighted mean of the sites' evaluations of one model (null when no site has a test split). */
export function pooledEvaluation(
  evals: readonly SiteEvaluation[],
): { accuracy: number; loss: number } | null {
  const n = evals.reduce((a, e) => a + e.count, 0);
  if (n === 0) return null;
  return {
    accuracy: evals.reduce((a, e) => a + e.accuracy * e.count, 0) / n,
    loss: evals.reduce((a, e) => a + e.loss * e.count, 0) / n,
  };
}

export async function runFederationLoop(
  o: FederationLoopOptions,
  progress: FederationProgress,
): Promise<FederationOutcome> {
  const { algorithm, placement } = o;
  const weightsAlgorithm = algorithm.shares === 'weights';
  let global: Float32Array[] | undefined = o.resume?.global ?? o.initialGlobal;
  let teachers: ReadonlyMap<string, Float32Array> | undefined;
  let scales: ReadonlyMap<string, number> | undefined;
  const rounds: RoundRow[] = [];
  let final: SiteEvaluation[] = [];
  for (let round = o.resume?.roundsDone ?? 0; round < o.rounds; round++) {
    const plan = algorithm.localPlan(round);
    // SCAFFOLD: the server's control variate c goes down with the global weights.
    const control =
      weightsAlgorithm && algorithm.scaffold && global
        ? algorithm.scaffold.control(global)
        : undefined;
    let attempt = 0;
    for (;;) {
      attempt++;
      const results = new Map<string, SiteRoundResult>();
      const received = new Map<string, number>();
      if (progress.cancelled()) throw new FederationCancelled();
      // Every site of the round at once: a placement that runs sites elsewhere (site jobs on the
      // pool, pods, agents) trains them in parallel; the in-process one queues them itself.
      const outcomes = await Promise.allSettled(
        placement.sites.map((site, index) => {
          const teacher = teachers?.get(site.name);
          received.set(
            site.name,
            weightsAlgorithm
              ? weightBytes(global ?? []) + (control ? weightBytes(control) : 0)
              : floats(teacher),
          );
          const scale = scales?.get(site.name) ?? 1;
          return placement.train(site.name, {
            round,
            attempt,
            plan:
              plan.distillation && scale !== 1
                ? {
                    ...plan,
                    distillation: {
                      ...plan.distillation,
                      weight: plan.distillation.weight * scale,
                    },
                  }
                : plan,
            global: weightsAlgorithm ? global : undefined,
            ...(control ? { control } : {}),
            teacher: plan.distillation ? teacher : undefined,
            seed: (o.seed + 1_000_003 * round + 7919 * attempt + 104_729 * index) >>> 0,
          });
        }),
      );
      for (const [index, outcome] of outcomes.entries()) {
        const name = placement.sites[index].name;
        if (outcome.status === 'fulfilled') {
          results.set(name, outcome.value);
          continue;
        }
        const error = outcome.reason as Error;
        if (error instanceof FederationCancelled) throw error;
        await progress.log(`round ${round + 1}: site ${name} failed: ${error.message}`, 'warn');
      }
      if (progress.cancelled()) throw new FederationCancelled();
      // Prediction sharers vote in the teacher by the accuracy they report on their test split.
      const shares = [...results.values()].map((r) =>
        weightsAlgorithm || r.localAccuracy === null
          ? r.share
          : { ...r.share, accuracy: r.localAccuracy },
      );
      const screened = screenUpdates(
        shares,
        weightsAlgorithm ? { global } : { logitsLength: o.logitsLength },
        o.screening,
      );
      const missing = placement.sites.filter((s) => !results.has(s.name)).map((s) => s.name);
      if (!screened.quorumMet) {
        const why = `round ${round + 1}: ${screened.accepted.length} of ${placement.sites.length} updates accepted (quorum ${o.screening.quorum}; rejected ${JSON.stringify(screened.rejected)}; failed ${JSON.stringify(missing)})`;
        if (attempt <= o.roundRetries) {
          await progress.log(`${why}; retrying the round`, 'warn');
          continue;
        }
        throw new RoundQuorumError(`${why}; no retries left`);
      }
      if (progress.drift && weightsAlgorithm) {
        const accepted = screened.accepted.filter((s) => s.weights);
        progress.drift(
          round,
          siteDisagreement(
            accepted.map((s) => s.weights!),
            accepted.map((s) => s.samples),
          ),
        );
      }
      if (algorithm.scaffold && global) {
        // c <- c + sum_{i in S} (n_i / N) delta c_i (core/scaffold.ts), before x moves.
        const total = placement.sites.reduce((a, s) => a + s.samples, 0);
        const skipped = algorithm.scaffold.absorb(screened.accepted, total, global);
        if (skipped.length > 0)
          await progress.log(
            `round ${round + 1}: no usable control variate change from ${skipped.join(', ')}`,
            'warn',
          );
      }
      const aggregate = algorithm.aggregate(screened.accepted, global);
      let globalEval: { accuracy: number; loss: number } | null;
      if (aggregate.kind === 'weights') {
        global = aggregate.weights;
        if (o.fuse) {
          const cpu = process.cpuUsage();
          const fused = await o.fuse(
            screened.accepted.flatMap((s) => (s.weights ? [s.weights] : [])),
            global,
            round,
          );
          global = fused.weights;
          const used = process.cpuUsage(cpu);
          const seconds = (used.user + used.system) / 1e6;
          progress.fused?.(round, fused, seconds);
          await progress.log(
            `round ${round + 1}: server distillation ${fused.bestStep}/${fused.steps} steps kept, held-out loss ${fused.initialLoss.toFixed(4)} -> ${fused.bestLoss.toFixed(4)} (${seconds.toFixed(1)} CPU s)`,
          );
        }
        // A site that failed its train work is not asked: an absent agent would cost the round
        // a second siteTimeoutSeconds for an evaluation it cannot give either.
        final = await placement.evaluateGlobal(global, { round, attempt, skip: missing });
      } else {
        teachers = aggregate.teachers;
        scales = aggregate.scales;
        final = [...results.values()].flatMap((r) =>
          r.localAccuracy === null
            ? []
            : [{ site: r.share.site, accuracy: r.localAccuracy, loss: Number.NaN, count: 1 }],
        );
      }
      globalEval = pooledEvaluation(final);
      if (aggregate.kind === 'predictions')
        globalEval = globalEval && { accuracy: globalEval.accuracy, loss: Number.NaN };
      const acceptedSet = new Set(screened.accepted.map((s) => s.site));
      const siteRows: SiteRoundRow[] = placement.sites.map((s) => {
        const r = results.get(s.name);
        return {
          site: s.name,
          trainLoss: finiteOrNull(r?.trainLoss),
          trainAccuracy: finiteOrNull(r?.trainAccuracy),
          localAccuracy: finiteOrNull(r?.localAccuracy),
          updateNorm: finiteOrNull(screened.updateNorms[s.name]),
          accepted: acceptedSet.has(s.name),
          bytesSent: r ? shareBytes(r.share) : 0,
          bytesReceived: received.get(s.name) ?? 0,
        };
      });
      const row: RoundRow = {
        round,
        attempts: attempt,
        accepted: [...acceptedSet],
        rejected: [...screened.rejected, ...missing.map((site) => ({ site, reason: 'failed' }))],
        bytesUp: siteRows.reduce((a, s) => a + s.bytesSent, 0),
        bytesDown: siteRows.reduce((a, s) => a + s.bytesReceived, 0),
        globalAccuracy: finiteOrNull(globalEval?.accuracy),
        globalLoss: finiteOrNull(globalEval?.loss),
        sites: siteRows,
      };
      rounds.push(row);
      await progress.round(row, o.rounds, global);
      break;
    }
  }
  return {
    rounds,
    global,
    final,
    bytesTotal: rounds.reduce((a, r) => a + r.bytesUp + r.bytesDown, 0),
  };
}

export class FederationCancelled extends Error {
  constructor() {
    super('federation cancelled');
  }
}

function finiteOrNull(v: number | null | undefined): number | null {
  return v !== null && v !== undefined && Number.isFinite(v) ? v : null;
}
