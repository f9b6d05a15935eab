// The new-federation form's state -> the POST /v1/federations body (src/collab/federation.schema.ts),
// and the server's 400/422 field problems -> the form fields they name. DOM-free (unit-tested).
// The form covers what a first federation needs; every other field of the spec keeps its
// documented default (the CLI's --spec file takes all of them).
import { typedNumber as num } from '../../lib/typed-number';

export interface SiteForm {
  name: string;
  /** A data set of this service by name; ignored for a remote site. */
  dataset: string;
  /** A remote site agent (`autodl site serve`) on its own files. */
  remote: boolean;
  /** A local site's Kubernetes namespace (placement); '': the worker pool. */
  namespace: string;
  /** codistill: the site's own architecture; '': the federation's. */
  architecture: string;
}

/** A local site of the form, on `dataset` ('' until chosen). */
export function siteForm(name: string, dataset = ''): SiteForm {
  return { name, dataset, remote: false, namespace: '', architecture: '' };
}

export interface FederationForm {
  name: string;
  architecture: string;
  width: string;
  algorithm: string;
  sites: SiteForm[];
  epochs: string;
  period: string;
  localEpochs: string;
  learningRate: string;
  minLr: string;
  optimizer: string;
  batchSize: string;
  sharedDataset: string;
  /** codistill: the public set the sites exchange predictions on. */
  publicDataset: string;
  freezeHead: boolean;
  /** CCVR after the last round (classifierCalibration: 'ccvr'). */
  calibrateHead: boolean;
  /** SCAFFOLD's control variates against client drift. */
  scaffold: boolean;
  /** FedDF: the coordinator distills the sites' ensemble into each round's average. */
  serverDistillation: boolean;
  /** FedDF's most steps per round; '': the server's default. */
  distillationSteps: string;
  /** Sites a round needs; '': a majority. */
  quorum: string;
  /** Differential privacy on the shared updates: clip norm, noise multiplier, delta. */
  privacy: boolean;
  dpClip: string;
  dpNoise: string;
  dpDelta: string;
  seed: string;
}

/**
 * The empty form; with data set names (a site split's, from `?datasets=a,b,c`), one site per data
 * set, named site-a, site-b, ...
 */
export function initialForm(datasets: readonly string[] = []): FederationForm {
  const sites: SiteForm[] = [];
  for (const dataset of datasets.length ? datasets : ['', ''])
    sites.push(siteForm(nextSiteName(sites), dataset));
  return {
    name: '',
    architecture: 'small-cnn',
    width: '',
    algorithm: 'esp-clr',
    sites,
    epochs: '',
    period: '',
    localEpochs: '',
    learningRate: '',
    minLr: '',
    optimizer: '',
    batchSize: '',
    sharedDataset: '',
    publicDataset: '',
    freezeHead: false,
    calibrateHead: false,
    scaffold: false,
    serverDistillation: false,
    distillationSteps: '',
    quorum: '',
    privacy: false,
    dpClip: '',
    dpNoise: '',
    dpDelta: '',
    seed: '',
  };
}

/** The next free default site name: site-a, site-b, ... site-z, then site-27, ... */
export function nextSiteName(sites: readonly SiteForm[]): string {
  const taken = new Set(sites.map((s) => s.name));
  for (let i = 0; ; i++) {
    const name = i < 26 ? `site-${String.fromCharCode(97 + i)}` : `site-${i + 1}`;
    if (!taken.has(name)) return name;
  }
}

/** Which of the form's optional fields the algorithm reads (the schema refuses or ignores the rest). */
export function algorithmFields(algorithm: string): {
  period: boolean;
  localEpochs: boolean;
  freezeHead: boolean;
  sharedDataset: boolean;
  calibrateHead: boolean;
  publicDataset: boolean;
  scaffold: boolean;
  privacy: boolean;
  serverDistillation: boolean;
  /** A local site's Kubernetes namespace (the server refuses it for codistill's sites). */
  placement: boolean;
  /** A site's own architecture: codistill's sites exchange predictions, not weights. */
  siteArchitecture: boolean;
} {
  return {
    // codistill's; FedDF's too, when its box is ticked (publicSetShown).
    publicDataset: algorithm === 'codistill',
    period: algorithm === 'esp-clr',
    localEpochs: algorithm !== 'esp-clr',
    freezeHead: algorithm === 'esp-clr' || algorithm === 'fedavg',
    sharedDataset: algorithm !== 'codistill',
    // A global head to calibrate: every algorithm but codistill.
    calibrateHead: algorithm !== 'codistill',
    scaffold: algorithm === 'esp-clr' || algorithm === 'fedavg',
    // Noise on weight updates; codistill shares predictions.
    privacy: algorithm !== 'codistill',
    serverDistillation: algorithm === 'esp-clr' || algorithm === 'fedavg',
    placement: algorithm !== 'codistill',
    siteArchitecture: algorithm === 'codistill',
  };
}

/** The public set is asked for: codistill's, or FedDF's once its box is ticked. */
export function publicSetShown(f: FederationForm): boolean {
  const fields = algorithmFields(f.algorithm);
  return fields.publicDataset || (fields.serverDistillation && f.serverDistillation);
}

function siteBody(
  s: SiteForm,
  fields: ReturnType<typeof algorithmFields>,
): Record<string, unknown> {
  if (s.remote) return { name: s.name.trim(), remote: true };
  const site: Record<string, unknown> = { name: s.name.trim(), dataset: s.dataset };
  if (s.namespace && fields.placement) site.placement = { namespace: s.namespace };
  if (s.architecture && fields.siteArchitecture) site.architecture = s.architecture;
  return site;
}

export function federationBody(f: FederationForm): Record<string, unknown> {
  const fields = algorithmFields(f.algorithm);
  const body: Record<string, unknown> = {
    architecture: f.architecture,
    algorithm: f.algorithm,
    sites: f.sites.map((s) => siteBody(s, fields)),
  };
  if (f.name.trim()) body.name = f.name.trim();
  const numbers: [keyof FederationForm, string][] = [
    ['width', 'width'],
    ['epochs', 'epochs'],
    ['learningRate', 'learningRate'],
    ['batchSize', 'batchSize'],
    ['seed', 'seed'],
    ['quorum', 'quorum'],
  ];
  const { period, localEpochs } = fields;
  if (period) numbers.push(['period', 'period'], ['minLr', 'minLr']);
  if (localEpochs) numbers.push(['localEpochs', 'localEpochs']);
  for (const [key, field] of numbers) {
    const v = num(f[key] as string);
    if (v !== undefined) body[field] = v;
  }
  if (f.optimizer) body.optimizer = f.optimizer;
  if (f.sharedDataset && fields.sharedDataset) body.sharedDataset = f.sharedDataset;
  if (f.publicDataset && publicSetShown(f)) body.publicDataset = f.publicDataset;
  if (f.serverDistillation && fields.serverDistillation) {
    const steps = num(f.distillationSteps);
    body.serverDistillation = steps !== undefined ? { steps } : {};
  }
  if (f.freezeHead && fields.freezeHead) body.freezeHead = true;
  if (f.calibrateHead && fields.calibrateHead) body.classifierCalibration = 'ccvr';
  if (f.scaffold && fields.scaffold) body.scaffold = true;
  if (f.privacy && fields.privacy) {
    // formProblems asks for the two required numbers before this is sent.
    const dp: Record<string, unknown> = {};
    for (const [key, field] of [
      ['dpClip', 'clipNorm'],
      ['dpNoise', 'noiseMultiplier'],
      ['dpDelta', 'delta'],
    ] as const) {
      const v = num(f[key]);
      if (v !== undefined) dp[field] = v;
    }
    body.dp = dp;
  }
  return body;
}

/** The fields inside an option that have an input of their own (not the option's box). */
const NESTED_INPUTS = ['dp.clipNorm', 'dp.noiseMultiplier', 'dp.delta', 'serverDistillation.steps'];

/**
 * The form field a server problem names: `sites[1].dataset` (or `sites.1.dataset`) ->
 * `sites.1.dataset`, `sites[1]` ->
 * `sites.1`, `spec.epochs` -> `epochs`; anything past a known field stays with that field
 * (`sites` alone for the list). Unplaced problems go under `''` (the form's top).
 */
export function fieldOf(field: string | undefined): string {
  if (!field) return '';
  const f = field.replace(/^spec\./, '');
  // The schema names `sites[1].name`, the checks after it `sites.1.dataset`.
  const site = /^sites(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?/.exec(f);
  const nested = NESTED_INPUTS.find((n) => f === n || f.startsWith(`${n}.`));
  if (nested) return nested;
  if (site) {
    const i = site[1] ?? site[2];
    return site[3] ? `sites.${i}.${site[3]}` : `sites.${i}`;
  }
  return f.replace(/[[.].*$/, '');
}

/** The fields the form shows problems at; a problem about any other goes to the top. */
const SHOWN = new Set([
  'name',
  'architecture',
  'width',
  'algorithm',
  'epochs',
  'period',
  'localEpochs',
  'learningRate',
  'minLr',
  'optimizer',
  'batchSize',
  'sharedDataset',
  'publicDataset',
  'seed',
  'sites',
  'freezeHead',
  'classifierCalibration',
  'scaffold',
  'serverDistillation',
  'serverDistillation.steps',
  'quorum',
  'dp',
  'dp.clipNorm',
  'dp.noiseMultiplier',
  'dp.delta',
]);

function shownAt(field: string): string {
  return SHOWN.has(field) || /^sites\.\d+(\.(name|dataset|placement|architecture))?$/.test(field)
    ? field
    : '';
}

export function fieldErrors(
  errors: readonly { field?: string; message: string }[] | undefined,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors ?? []) {
    const field = fieldOf(e.field);
    // A field the form has no input for: at the top, saying which field it is about.
    const at = shownAt(field);
    (out[at] ??= []).push(at === field ? e.message : `${field}: ${e.message}`);
  }
  return out;
}

/**
 * A problem without field list whose detail starts with the field it is about, as the
 * submission's 422 checks write them (`sites.2.dataset: other-classes has the classes ...`,
 * `sharedDataset: it is site s1's data set ...`): shown at that field. Anything else: the top.
 */
export function detailErrors(detail: string): Record<string, string[]> {
  const m = /^(sites\.\d+\.\w+|sharedDataset|publicDataset|architecture|name): (.+)$/s.exec(detail);
  return m && shownAt(fieldOf(m[1])) ? { [fieldOf(m[1])]: [m[2]] } : { '': [detail] };
}

/**
 * What the form can tell before asking the server: a site on this service without a data set,
 * privacy without its clip norm or noise. (The schema's own words for an empty reference are
 * about string lengths, for a missing property about the object.)
 */
export function formProblems(f: FederationForm): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  f.sites.forEach((s, i) => {
    if (!s.remote && !s.dataset)
      out[`sites.${i}.dataset`] = ['choose a data set, or mark the site remote'];
  });
  if (f.serverDistillation && algorithmFields(f.algorithm).serverDistillation && !f.publicDataset)
    out.publicDataset = ['FedDF distills on a public set: choose one'];
  if (f.privacy && algorithmFields(f.algorithm).privacy) {
    if (!f.dpClip.trim()) out['dp.clipNorm'] = ['required with differential privacy, e.g. 10'];
    if (!f.dpNoise.trim())
      out['dp.noiseMultiplier'] = ['required with differential privacy, e.g. 0.5'];
  }
  return out;
}
