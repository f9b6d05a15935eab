/**
 * The port between the coordinator loop (federation-run.ts) and where a site trains: the
 * in-process placement (local-placement.ts, codistill), `federation-site` jobs on the worker
 * pool or as Kubernetes (Indexed) Jobs (pooled-placement.ts) and remote site agents
 * (remote-placement.ts); the last two share one protocol (work items, site-trainer.ts). The
 * loop calls `train` for every site of a round at once. Only a `SiteShare` comes back, and only
 * the global state goes out.
 */
import type { LocalPlan, SiteShare } from './core/federated-algorithm';
import type { WeightSet } from './core/weights';

export interface SiteRoundWork {
  round: number;
  attempt: number;
  plan: LocalPlan;
  /** weights algorithms: the global weights the site starts from. */
  global?: WeightSet;
  /** SCAFFOLD (plan.scaffold): the server's control variate c, sent with the global weights. */
  control?: WeightSet;
  /** codistill: the site's teacher probabilities on the public set (rounds > 0). */
  teacher?: Float32Array;
  seed: number;
}

export interface RoundScope {
  round: number;
  attempt: number;
  /**
   * Sites that failed this round's train work (threw, timed out, their job died): they are not
   * asked to evaluate the round's global model (docs/collab.md, "Faults: screening and quorum"),
   * so an absent remote agent costs the round one `siteTimeoutSeconds`, not a second one here.
   */
  skip?: readonly string[];
}

export interface SiteRoundResult {
  share: SiteShare;
  trainLoss: number | null;
  trainAccuracy: number | null;
  /** The site's model after local training on the site's own test split. */
  localAccuracy: number | null;
}

export interface SiteEvaluation {
  site: string;
  accuracy: number;
  loss: number;
  count: number;
  /**
   * The site's confusion matrix on its test split ([true][predicted] counts), when the site sent
   * one: the registry's evaluation of the final model merges them (core/merge-evaluations.ts).
   */
  confusion?: number[][];
}

/**
 * One site's answer to a stats item (classifierCalibration `ccvr`): its per-class feature
 * statistics as floats (core/ccvr-protocol.ts), or why it gave none.
 */
export type SiteClassStats =
  { site: string; stats: Float32Array } | { site: string; error: string };

export interface SitePlacement {
  readonly placement: 'local' | 'remote' | 'pool';
  readonly sites: readonly { name: string; samples: number }[];
  /** Runs one site's local training of a round; throws when the site failed (counted as missing). */
  train(site: string, work: SiteRoundWork): Promise<SiteRoundResult>;
  /**
   * Each site evaluates the global weights on its own test split (numbers only come back).
   * `scope`: the round (and its accepted attempt) the weights come from, and the sites not to ask.
   */
  evaluateGlobal(global: WeightSet, scope?: RoundScope): Promise<SiteEvaluation[]>;
  /**
   * CCVR (classifierCalibration): every site not skipped computes, where its data is, the
   * per-class statistics of its training examples' penultimate features under `global`
   * (`featureDim` values each) and sends only them. Placements without it cannot calibrate.
   */
  classStats?(
    global: WeightSet,
    scope: RoundScope & { featureDim: number },
  ): Promise<SiteClassStats[]>;
  dispose(): void;
}
