/**
 * The federations a collab bench compares, one spec each:
 *   <kind>[:p<period>][:e<epochs>][:m<server momentum>][:d<peak decay>][:x<proximal mu>][:s1]
 *     [:f<steps>][:g<shared>][:h1|:h2][:b1][:w<warm-up epochs>][:u<mixup alpha>][:r<SAM rho>]
 *     [:q<shared fraction>][:n<FedNTD beta>][:l<learning rate>][:k<warm-up epochs>][:o1][:a1][:t1]
 *     [:v1][:c<tau>][:z1][:j<beta>][:i<mu>]
 * kind pooled | fedavg | esp | mcl. pooled is one site holding everything with one cosine cycle
 * over all its epochs (`pooled:p<T>`: restarted every T epochs, as esp-clr's); esp is esp-clr;
 * `:d` is esp-clr's peakDecay gamma (the cycle's amplitude x gamma per period), `:x` FedProx's
 * mu, `:m` FedAvgM's beta, `:s1` SCAFFOLD's control variates (src/collab/core), `:f<steps>`
 * server-side ensemble distillation (FedDF,
 * core/ensemble-distillation.ts) of at most <steps> steps per round on the bench's public set,
 * the other settings at their defaults; `:g<G>` gives every site (and pooled) G shared labelled
 * examples the sites do not hold (the federation's sharedDataset, Zhao et al. 2018); `:h1` also
 * re-trains the final global model's head at the coordinator (core/classifier-calibration.ts: cRT
 * on the shared set, CCVR on the sites' feature statistics) and reports each calibration's
 * accuracy beside the plain one (the federation itself is unchanged); `:h2` (with `:g`) re-trains
 * the head on the shared set after every aggregation, so the sites start each period from it.
 * `:b1` is FedBABU's body-only local update (Oh, Kim & Yun, ICLR 2022; `freezeHead`): the sites
 * never train the head, which stays at its seeded initialisation, and `:h1`'s CCVR fits it last.
 * `:w<W>` (with `:g`) is Zhao et al. 2018's warm-up model (src/collab/shared-warmup.ts): the
 * initial global model is first trained W epochs on the shared set alone, with round 1's optimiser
 * settings, head included (under `:b1` the sites then keep that trained head). `:u<alpha>` (esp
 * and pooled) trains on mixup samples (Zhang et al. 2018) of the site's own examples, `:r<rho>`
 * (esp and pooled) with SAM's steps (src/ml/train/sam.ts; FedSAM). `:q<f>` (with `:g`): each
 * round a site trains on a seeded draw of the fraction f of the shared set (LocalPlacement's
 * sharedFraction; 0.25 with 4 sites weighs the shared examples as pooled training does). `:n<beta>`
 * adds FedNTD's not-true distillation to the sites' loss (src/ml/train/not-true-distillation.ts).
 * `:l<lr>` (any kind) replaces the bench's --lr for this variant: the cycle's peak, its low point
 * lr / 50 as the bench's. `:k<W>` (esp, and pooled with `:p`) warms the rate up linearly over
 * the first W epochs of every cycle (esp-clr's cycleWarmup) instead of starting at its peak.
 * `:o1` (any kind; collab-bench only): every site keeps its optimizer's state (adam's moments)
 * across rounds (LocalPlacement's bench-only carryOptimizer) instead of a fresh one per round.
 * `:a1` (esp, implies `:o1`): those states are averaged over the sites, weighted by samples, at
 * every round's start (LocalPlacement's averageOptimizer; the moments would cross the boundary).
 * `:t1` starts the federation (or pooled training) with a simplex ETF as its head
 * (core/simplex-etf.ts; FedETF, Li et al. ICCV 2023), bias 0; with `:b1` it stays fixed (pooled
 * too: `pooled:b1:t1` is pooled training under the same fixed head).
 * `:v1` (esp) averages with FedNova's normalisation (core/fednova.ts; Wang et al. NeurIPS 2020):
 * each site's change divided by its local steps, against the pull of the larger sites.
 * `:c<tau>` (esp) trains the sites with logit-adjusted cross-entropy (src/ml/train/logit-adjustment.ts;
 * Menon et al. ICLR 2021; Balanced Softmax at tau 1): each site's own label prior is added to
 * its logits in the loss, so each local model fits the class-balanced posterior.
 * `:z1` (esp) runs one cosine from the peak to the low point over all the variant's epochs, each
 * period a stretch of it (esp-clr's anneal), instead of a cycle restarted every period.
 * `:j<beta>` (esp) adds FedDecorr's penalty (src/ml/train/feature-decorrelation.ts; Shi et al.
 * ICLR 2023): beta times the squared correlations of each batch's penultimate features.
 * `:i<mu>` (esp) adds MOON's model-contrastive term (src/ml/train/model-contrastive.ts; Li, He &
 * Song, CVPR 2021) at the paper's temperature 0.5: mu times the pull of each row's penultimate
 * features towards the global model's and away from the site's previous local model's.
 * Example: `pooled,fedavg,esp,esp:d0.5,esp:d0.5:x0.01,fedavg:s1,esp:s1`.
 */
import type { AlgorithmSettings } from '../../src/collab/core/algorithms';

export interface Variant {
  label: string;
  kind: 'pooled' | 'fedavg' | 'esp' | 'mcl';
  period: number;
  epochs: number;
  momentum: number;
  peakDecay: number;
  proximalMu: number;
  scaffold: boolean;
  /** FedDF: most server distillation steps per round (0: none). */
  fusionSteps: number;
  /** Shared labelled examples every site trains on (Zhao et al. 2018; sharedDataset), 0: none. */
  shared: number;
  /**
   * 1: the head calibration study on the final global model (bench-only); 2: also cRT on the
   * shared set after every aggregation (with `:g`), the study then on its final model.
   */
  head: number;
  /** FedBABU: the sites train the body only (freezeHead). */
  freezeHead: boolean;
  /** Zhao et al. 2018's warm-up: epochs on the shared set before round 1 (0: none). */
  warmup: number;
  /** mixup's alpha on every site's (and pooled's) examples (0: none). */
  mixup: number;
  /** SAM's rho on every site's (and pooled's) local steps (0: none). */
  sam: number;
  /** With `:g`: the fraction of the shared set each site draws per round (1: all of it). */
  sharedFraction: number;
  /** FedNTD's beta on the sites' local loss (0: none). */
  notTrue: number;
  /** The cycle's peak learning rate (0: the bench's --lr). */
  learningRate: number;
  /** Epochs of linear warm-up at every cycle's start (0: none). */
  cycleWarmup: number;
  /** Every site keeps its optimizer's state across rounds. */
  carryOptimizer: boolean;
  /** The sites' optimizer states averaged at every round's start (implies carryOptimizer). */
  averageOptimizer: boolean;
  /** The initial global head is a simplex ETF (FedETF). */
  etfHead: boolean;
  /** FedNova's normalised averaging. */
  normalizedAveraging: boolean;
  /** Logit adjustment's tau on the sites' loss (0: none). */
  logitAdjustment: number;
  /** One cosine over all epochs instead of one per period. */
  anneal: boolean;
  /** FedDecorr's beta on the sites' loss (0: none). */
  decorrelation: number;
  /** MOON's mu on the sites' loss (0: none), at temperature 0.5. */
  contrastive: number;
}

export function parseVariant(spec: string, d: { period: number; epochs: number }): Variant {
  const [kind, ...opts] = spec.split(':');
  if (kind !== 'pooled' && kind !== 'fedavg' && kind !== 'esp' && kind !== 'mcl')
    throw new Error(`unknown variant kind ${kind} in ${spec}`);
  const known = [...'pemdxsfghbwurqnlkotvaczji']; // one letter per option, as the header lists them
  const bad = opts.find((o) => !known.includes(o[0]) || !Number.isFinite(Number(o.slice(1))));
  if (bad !== undefined) throw new Error(`unknown option ${bad} in ${spec}`);
  const opt = (p: string, fallback: number) => {
    const o = opts.find((x) => x.startsWith(p));
    return o ? Number(o.slice(1)) : fallback;
  };
  if (opt('w', 0) > 0 && (kind === 'pooled' || opt('g', 0) === 0))
    throw new Error(`a warm-up (:w) is for a federation with a shared set (:g), in ${spec}`);
  return {
    label: spec,
    kind,
    // pooled: one cosine cycle over all its epochs unless `:p` restarts it.
    period: opt('p', kind === 'pooled' ? opt('e', d.epochs) : d.period),
    epochs: opt('e', d.epochs),
    momentum: opt('m', 0),
    peakDecay: opt('d', 1),
    proximalMu: opt('x', 0),
    scaffold: opt('s', 0) > 0,
    fusionSteps: opt('f', 0),
    shared: opt('g', 0),
    head: opt('h', 0),
    freezeHead: opt('b', 0) > 0,
    warmup: opt('w', 0),
    mixup: opt('u', 0),
    sam: opt('r', 0),
    sharedFraction: opt('q', 1),
    notTrue: opt('n', 0),
    learningRate: opt('l', 0),
    cycleWarmup: opt('k', 0),
    carryOptimizer: opt('o', 0) > 0 || opt('a', 0) > 0,
    averageOptimizer: opt('a', 0) > 0,
    etfHead: opt('t', 0) > 0,
    normalizedAveraging: opt('v', 0) > 0,
    logitAdjustment: opt('c', 0),
    anneal: opt('z', 0) > 0,
    decorrelation: opt('j', 0),
    contrastive: opt('i', 0),
  };
}

/** The algorithm settings of a federated (non-pooled) variant on top of the bench's base. */
export function variantSettings(v: Variant, base: AlgorithmSettings): AlgorithmSettings {
  return {
    ...base,
    algorithm: v.kind === 'esp' ? 'esp-clr' : v.kind === 'pooled' ? 'fedavg' : v.kind,
    period: v.period,
    serverMomentum: v.momentum,
    peakDecay: v.peakDecay,
    proximalMu: v.proximalMu,
    scaffold: v.scaffold,
    freezeHead: v.freezeHead,
    ...(v.mixup > 0 ? { espMixup: true, mixupAlpha: v.mixup } : {}),
    ...(v.sam > 0 ? { samRho: v.sam } : {}),
    ...(v.notTrue > 0 ? { notTrueBeta: v.notTrue } : {}),
    ...(v.normalizedAveraging ? { normalizedAveraging: true } : {}),
    ...(v.logitAdjustment > 0 ? { logitAdjustment: v.logitAdjustment } : {}),
    ...(v.decorrelation > 0 ? { decorrelationBeta: v.decorrelation } : {}),
    ...(v.contrastive > 0 ? { modelContrastive: { mu: v.contrastive, temperature: 0.5 } } : {}),
    ...(v.anneal ? { anneal: { totalEpochs: v.epochs } } : {}),
    ...scheduleOf(v),
  };
}

/**
 * `:l<lr>`, `:k<W>`: the variant's own learning-rate schedule, its peak lr and low point lr / 50
 * (as the bench's --lr) and its cycle warm-up.
 */
export function scheduleOf(v: Variant): Partial<AlgorithmSettings> {
  return {
    ...(v.learningRate > 0 ? { learningRate: v.learningRate, minLr: v.learningRate / 50 } : {}),
    ...(v.cycleWarmup > 0 ? { cycleWarmup: v.cycleWarmup } : {}),
  };
}
