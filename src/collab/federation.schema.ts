/**
 * The one schema of job kind `federation`: the body of `POST /v1/federations`, the spec
 * `POST /v1/jobs` takes, validation at enqueue and the normalised spec stored. Sites name data
 * sets of this service (the local placement); their references are resolved to ids at enqueue.
 */
import { Type, type Static } from '@sinclair/typebox';
import { OPTIMIZER_NAMES } from '../ml/train/optimizers';
import { ZOO_MODEL_NAMES } from '../ml/zoo/zoo';
import { ValidationError } from '../platform/errors/domain-error';
import { placementSchema } from '../platform/validation/placement';
import { StringEnum } from '../platform/validation/schema-builders';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';
import { ReferenceSchema, RegistryNameSchema } from '../registry/reference.schema';
import { ALGORITHM_NAMES } from './core/federated-algorithm';
import { DEFAULT_SCREENING } from './core/robust-aggregation';
import { CODISTILL_DEFAULTS } from './core/codistill';
import { CLASSIFIER_CALIBRATIONS } from './core/ccvr-protocol';
import {
  SERVER_DISTILLATION_DEFAULTS,
  serverDistillationSettings,
} from './core/ensemble-distillation';

/** Named defaults (docs/collab.md). */
export const FEDERATION_DEFAULTS = {
  algorithm: 'esp-clr',
  epochs: 4,
  localEpochs: 1,
  period: 2,
  learningRate: 0.05,
  minLr: 0.001,
  peakDecay: 1,
  proximalMu: 0,
  serverMomentum: 0,
  scaffold: false,
  freezeHead: false,
  batchSize: 32,
  optimizer: 'momentum',
  mixupAlpha: 0.4,
  temperature: 3,
  distillationWeight: 1,
  roundRetries: 1,
  siteTimeoutSeconds: 900,
  seed: 0,
} as const;
const D = FEDERATION_DEFAULTS;
/** The privacy accountant's delta when the spec gives none. */
const DP_DELTA = 1e-5;

/** Where a local site's training runs on Kubernetes (docs/collab.md, "Placements"). */
const PlacementSchema = placementSchema('the site trains');
export type SitePlacementSpec = Static<typeof PlacementSchema>;

const SiteSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
      description: 'Site name, unique in the federation',
    }),
    dataset: Type.Union(
      [
        ReferenceSchema(
          'data set',
          "The site's data set (its train split trains, its test split evaluates)",
        ),
        Type.Null(),
      ],
      { default: null, description: 'A local site’s data set; null for a remote site' },
    ),
    remote: Type.Boolean({
      default: false,
      description:
        'A remote site agent (`autodl site serve`) trains on its own files; its key comes from POST /v1/federations/:id/sites/:name/key',
    }),
    architecture: Type.Union([StringEnum(ZOO_MODEL_NAMES), Type.Null()], {
      default: null,
      description: 'codistill only: this site’s own architecture (default: the federation’s)',
    }),
    placement: Type.Union([PlacementSchema, Type.Null()], {
      default: null,
      description:
        'A local site’s Kubernetes placement: its site jobs run in this namespace (one Indexed Job per round and namespace group); null: the worker pool / the executor’s namespace',
    }),
  },
  { additionalProperties: false },
);

const DpSchema = Type.Object(
  {
    clipNorm: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1e6,
      description: 'L2 clip C of a site update',
    }),
    noiseMultiplier: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1e3,
      description: 'Noise std in units of C',
    }),
    // Optional, filled in by the refine: a default inside a nullable object (`dp: {...} | null`)
    // is never applied by the validator (ajv skips defaults under anyOf), and the CLI's
    // --dp-clip/--dp-noise send none.
    delta: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        description: `The accountant's delta (default ${DP_DELTA})`,
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Server-side ensemble distillation (FedDF, core/ensemble-distillation.ts): fields left out take
 * SERVER_DISTILLATION_DEFAULTS.
 */
const ServerDistillationSchema = Type.Object(
  {
    steps: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: `Most distillation steps per round; early stopping on a held-out slice of the public set may end sooner (default ${SERVER_DISTILLATION_DEFAULTS.steps})`,
      }),
    ),
    temperature: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 100,
        description: `T of the ensemble's soft targets (default ${SERVER_DISTILLATION_DEFAULTS.temperature})`,
      }),
    ),
    learningRate: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 10,
        description: `The coordinator's Adam step size (default ${SERVER_DISTILLATION_DEFAULTS.learningRate})`,
      }),
    ),
    batchSize: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 4096,
        description: `Public rows per step (default ${SERVER_DISTILLATION_DEFAULTS.batchSize})`,
      }),
    ),
    patience: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: `Held-out evaluations (every ${SERVER_DISTILLATION_DEFAULTS.evalEvery} steps) without improvement before stopping (default ${SERVER_DISTILLATION_DEFAULTS.patience})`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const FederationSpecSchema = Type.Object(
  {
    name: Type.Union(
      [
        RegistryNameSchema('Name of the registered global model (default federation-<job id>)'),
        Type.Null(),
      ],
      {
        default: null,
      },
    ),
    architecture: StringEnum(ZOO_MODEL_NAMES, { example: 'small-cnn' }),
    width: Type.Union([Type.Integer({ minimum: 1, maximum: 1024 }), Type.Null()], {
      default: null,
      description: 'Zoo width (base channels); null: the architecture default',
    }),
    sites: Type.Array(SiteSchema, { minItems: 1, maxItems: 32 }),
    algorithm: StringEnum(ALGORITHM_NAMES, { default: D.algorithm }),
    epochs: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: D.epochs,
      description: 'Local epochs per site in all',
    }),
    localEpochs: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: D.localEpochs,
      description: 'fedavg, mcl, codistill: epochs per round',
    }),
    period: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: D.period,
      description: 'esp-clr: T0, epochs per synchronisation (one LR cycle)',
    }),
    learningRate: Type.Number({
      minimum: 1e-8,
      maximum: 10,
      default: D.learningRate,
      description: 'Local LR (esp-clr: the cycle maximum)',
    }),
    minLr: Type.Number({
      minimum: 0,
      maximum: 10,
      default: D.minLr,
      description: 'esp-clr: the cycle minimum',
    }),
    peakDecay: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: D.peakDecay,
      description:
        'esp-clr: the cycle amplitude is multiplied by this every period (1: the constant cycle); against client drift on non-IID sites',
    }),
    proximalMu: Type.Number({
      minimum: 0,
      maximum: 100,
      default: D.proximalMu,
      description:
        "fedavg, esp-clr: FedProx's mu, each site adds (mu/2)||w - w_global||^2 to its loss (0: none); for sgd/momentum sites (with adam it hurts: docs/collab.md)",
    }),
    serverMomentum: Type.Number({
      minimum: 0,
      exclusiveMaximum: 1,
      default: D.serverMomentum,
      description: 'esp-clr: FedAvgM server momentum beta on the average (0: plain averaging)',
    }),
    scaffold: Type.Boolean({
      default: D.scaffold,
      description:
        "fedavg, esp-clr: SCAFFOLD's control variates (Karimireddy et al. 2020) correct every local gradient by c - c_i against client drift; sites share c_i+ - c_i beside their weights (2x the bytes); not with dp",
    }),
    freezeHead: Type.Boolean({
      default: D.freezeHead,
      description:
        'fedavg, esp-clr: FedBABU (Oh, Kim & Yun 2022): sites train the body only and the head stays at its seeded initialisation (the same at every site) against client drift in the classifier; no extra bytes; measured with sharedDataset (docs/collab.md)',
    }),
    serverDistillation: Type.Union([ServerDistillationSchema, Type.Null()], {
      default: null,
      description:
        "fedavg, esp-clr: after each round's average the coordinator distills the ensemble of the received site models into it on publicDataset (FedDF, Lin et al. 2020); no extra bytes cross a site boundary (docs/collab.md)",
    }),
    classifierCalibration: Type.Union([StringEnum(CLASSIFIER_CALIBRATIONS), Type.Null()], {
      default: null,
      description:
        'fedavg, esp-clr, mcl: after the last round every site sends per-class feature statistics (counts, means, covariances of its training examples under the final model) and the coordinator re-trains the head on virtual features drawn from them (CCVR, Luo et al. 2021); they reveal each site’s label histogram; not with dp (docs/collab.md, "Classifier calibration (classifierCalibration)")',
    }),
    batchSize: Type.Integer({ minimum: 1, maximum: 4096, default: D.batchSize }),
    optimizer: StringEnum(OPTIMIZER_NAMES, { default: D.optimizer }),
    mixupAlpha: Type.Number({
      exclusiveMinimum: 0,
      maximum: 100,
      default: D.mixupAlpha,
      description: 'mcl: Beta(alpha, alpha)',
    }),
    publicDataset: Type.Union(
      [
        ReferenceSchema(
          'data set',
          'codistill, serverDistillation: the public set (inputs only; labels are never read)',
        ),
        Type.Null(),
      ],
      {
        default: null,
      },
    ),
    sharedDataset: Type.Union(
      [
        ReferenceSchema(
          'data set',
          'fedavg, esp-clr, mcl: a labelled set every site trains on beside its own data (Zhao et al. 2018, against label skew): public or jointly owned data, never a site\'s own; its train split is given to every site once (docs/collab.md, "Shared labelled set")',
        ),
        Type.Null(),
      ],
      { default: null },
    ),
    temperature: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: D.temperature }),
    distillationWeight: Type.Number({ minimum: 0, maximum: 100, default: D.distillationWeight }),
    warmupRounds: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: CODISTILL_DEFAULTS.warmupRounds,
      description: 'codistill: rounds each site trains alone before it distills (burn-in)',
    }),
    rampRounds: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: CODISTILL_DEFAULTS.rampRounds,
      description:
        'codistill: rounds over which the distillation weight grows linearly to its value',
    }),
    teacher: StringEnum(['peers', 'ensemble'] as const, {
      default: CODISTILL_DEFAULTS.teacher,
      description:
        'codistill: whose predictions teach a site: its peers (accuracy-weighted), or the ensemble of every site, itself included',
    }),
    roundMinLr: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      default: null,
      description:
        'codistill: each round one cosine from learningRate down to this (null: a constant learning rate)',
    }),
    quorum: Type.Union([Type.Integer({ minimum: 1, maximum: 32 }), Type.Null()], {
      default: null,
      description: 'Accepted updates a round needs (default: a majority of the sites)',
    }),
    roundRetries: Type.Integer({ minimum: 0, maximum: 10, default: D.roundRetries }),
    siteTimeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: D.siteTimeoutSeconds,
      description: 'How long a round waits for a remote site before counting it as failed',
    }),
    normFactor: Type.Number({ minimum: 1, maximum: 1e6, default: DEFAULT_SCREENING.normFactor }),
    maxRelativeNorm: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1e6,
      default: DEFAULT_SCREENING.maxRelativeNorm,
    }),
    minRelativeNorm: Type.Number({
      minimum: 0,
      maximum: 1e6,
      default: DEFAULT_SCREENING.minRelativeNorm,
      description:
        'The median rule never rejects an update smaller than this times the global weights’ norm (so an honest site rejoining converged peers is not taken for a poisoned one)',
    }),
    dp: Type.Union([DpSchema, Type.Null()], {
      default: null,
      description: 'Clip + Gaussian noise on weight updates',
    }),
    seed: Type.Integer({ minimum: 0, maximum: 0xffffffff, default: D.seed }),
  },
  { additionalProperties: false },
);

/** Differential privacy as the refined spec holds it: delta filled in. */
export type DpSpec = Required<Static<typeof DpSchema>>;

export type FederationSpec = Omit<Static<typeof FederationSpecSchema>, 'dp'> & {
  quorum: number;
  dp: DpSpec | null;
};

export const federationSpec: SpecSchema<FederationSpec> = specSchema(
  FederationSpecSchema,
  (s, path) => {
    const names = new Set(s.sites.map((x) => x.name));
    if (names.size !== s.sites.length)
      throw ValidationError.field(`${path}.sites`, 'site names must be unique');
    if (s.algorithm === 'codistill' && s.publicDataset === null)
      throw ValidationError.field(
        `${path}.publicDataset`,
        'codistill needs a public data set to exchange predictions on',
      );
    if (
      s.algorithm !== 'codistill' &&
      s.sites.some((x) => x.architecture !== null && x.architecture !== s.architecture)
    )
      throw ValidationError.field(
        `${path}.sites`,
        'only codistill allows per-site architectures (weights are averaged)',
      );
    if (s.algorithm === 'esp-clr' && !(s.minLr < s.learningRate))
      throw ValidationError.field(
        `${path}.minLr`,
        `must be below learningRate (${s.learningRate})`,
      );
    if (s.roundMinLr !== null && s.algorithm !== 'codistill')
      throw ValidationError.field(`${path}.roundMinLr`, 'applies to codistill');
    if (s.roundMinLr !== null && !(s.roundMinLr < s.learningRate))
      throw ValidationError.field(
        `${path}.roundMinLr`,
        `must be below learningRate (${s.learningRate})`,
      );
    if (s.algorithm !== 'esp-clr' && s.peakDecay !== 1)
      throw ValidationError.field(`${path}.peakDecay`, 'applies to esp-clr (its LR cycle)');
    if (s.algorithm !== 'esp-clr' && s.serverMomentum !== 0)
      throw ValidationError.field(`${path}.serverMomentum`, 'applies to esp-clr');
    if (s.proximalMu > 0 && s.algorithm !== 'fedavg' && s.algorithm !== 'esp-clr')
      throw ValidationError.field(
        `${path}.proximalMu`,
        'applies to fedavg and esp-clr (not combined with mixup or distillation)',
      );
    if (s.scaffold && s.algorithm !== 'fedavg' && s.algorithm !== 'esp-clr')
      throw ValidationError.field(
        `${path}.scaffold`,
        'applies to fedavg and esp-clr (not combined with mixup or distillation)',
      );
    if (s.freezeHead && s.algorithm !== 'fedavg' && s.algorithm !== 'esp-clr')
      throw ValidationError.field(
        `${path}.freezeHead`,
        'applies to fedavg and esp-clr (sites that train one averaged model without mixup)',
      );
    if (s.serverDistillation !== null) {
      if (s.algorithm !== 'fedavg' && s.algorithm !== 'esp-clr')
        throw ValidationError.field(
          `${path}.serverDistillation`,
          'applies to fedavg and esp-clr (a global model to distill into)',
        );
      if (s.publicDataset === null)
        throw ValidationError.field(
          `${path}.publicDataset`,
          'serverDistillation needs the coordinator’s public data set to distill on',
        );
      serverDistillationSettings(s.serverDistillation, `${path}.serverDistillation`);
    }
    if (s.sharedDataset !== null && s.algorithm === 'codistill')
      throw ValidationError.field(
        `${path}.sharedDataset`,
        'applies to fedavg, esp-clr and mcl (sites that train one averaged model)',
      );
    if (s.scaffold && s.dp)
      throw ValidationError.field(
        `${path}.scaffold`,
        'is not combined with dp: the control variate change would be shared without noise',
      );
    if (s.classifierCalibration !== null && s.algorithm === 'codistill')
      throw ValidationError.field(
        `${path}.classifierCalibration`,
        'applies to fedavg, esp-clr and mcl (a global model whose head is calibrated); codistill has none',
      );
    if (s.classifierCalibration !== null && s.dp)
      throw ValidationError.field(
        `${path}.classifierCalibration`,
        'is not combined with dp: the per-class feature statistics would leave the sites without noise (drop dp or classifierCalibration)',
      );
    if (s.dp && s.algorithm === 'codistill')
      throw ValidationError.field(
        `${path}.dp`,
        'applies to weight updates; codistill shares predictions',
      );
    s.sites.forEach((x, i) => {
      if (x.remote && x.dataset !== null)
        throw ValidationError.field(
          `${path}.sites.${i}.dataset`,
          'a remote site keeps its data: leave dataset out',
        );
      if (x.remote && x.placement !== null)
        throw ValidationError.field(
          `${path}.sites.${i}.placement`,
          'a remote site runs where its agent runs: leave placement out',
        );
      if (x.placement !== null && s.algorithm === 'codistill')
        throw ValidationError.field(
          `${path}.sites.${i}.placement`,
          'codistill sites train inside the coordinator job for now; placements take weight-sharing algorithms',
        );
      if (!x.remote && x.dataset === null)
        throw ValidationError.field(
          `${path}.sites.${i}.dataset`,
          'a local site needs its data set',
        );
    });
    if (s.sites.some((x) => x.remote)) {
      if (s.algorithm === 'codistill')
        throw ValidationError.field(
          `${path}.algorithm`,
          'remote sites take weight-sharing algorithms for now (fedavg, esp-clr, mcl)',
        );
      if (s.sites.every((x) => x.remote))
        throw ValidationError.field(
          `${path}.sites`,
          'needs at least one local site to fix the input contract (all-remote federations: next step)',
        );
    }
    const quorum = s.quorum ?? Math.floor(s.sites.length / 2) + 1;
    if (quorum > s.sites.length)
      throw ValidationError.field(`${path}.quorum`, `must be at most the ${s.sites.length} sites`);
    const dp = s.dp && { ...s.dp, delta: s.dp.delta ?? DP_DELTA };
    return { ...s, quorum, dp };
  },
);

/** Where a site trains: a remote agent, a Kubernetes namespace of its own, or the worker pool. */
export type SitePlacementKind = 'remote' | 'namespace' | 'local';

export function sitePlacementKind(site: {
  remote: boolean;
  placement: SitePlacementSpec | null;
}): SitePlacementKind {
  return site.remote ? 'remote' : site.placement ? 'namespace' : 'local';
}

/** The federation's placement as its list shows it: its sites' one kind, or `mixed`. */
export function federationPlacement(
  sites: readonly { remote: boolean; placement: SitePlacementSpec | null }[],
): SitePlacementKind | 'mixed' {
  const kinds = new Set(sites.map(sitePlacementKind));
  return kinds.size === 1 ? [...kinds][0] : 'mixed';
}
