/**
 * The port between the coordinator loop (federation-run.ts) and where a site trains. The local
 * placement (local-placement.ts) trains the federation's data sets inside the coordinator job;
 * a remote site agent (docs/collab.md, next step) answers the same calls over HTTPS. Only a
 * `SiteShare` comes back, and only the global state goes out.
 */
import type { LocalPlan, SiteShare } from './core/federated-algorithm';
import type { WeightSet } from './core/weights';

export interface SiteRoundWork {
  round: number;
  attempt: number;
  plan: LocalPlan;
  /** weights algorithms: the global weights the site starts from. */
  global?: WeightSet;
  /** codistill: the site's teacher probabilities on the public set (rounds > 0). */
  teacher?: Float32Array;
  seed: number;
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
}

export interface SitePlacement {
  readonly placement: 'local' | 'remote';
  readonly sites: readonly { name: string; samples: number }[];
  /** Runs one site's local training of a round; throws when the site failed (counted as missing). */
  train(site: string, work: SiteRoundWork): Promise<SiteRoundResult>;
  /** Each site evaluates the global weights on its own test split (numbers only come back). */
  evaluateGlobal(global: WeightSet): Promise<SiteEvaluation[]>;
  dispose(): void;
}
