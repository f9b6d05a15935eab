/**
 * The body of `POST /v1/federations` from `autodl collab run`'s flags: every field of the REST
 * spec has a flag but a placement's nodeSelector, and `--spec FILE` gives a whole spec that the
 * flags then override. The service validates the
 * result; this only turns flag strings into the spec's types and names the flag on bad values.
 */
import { CliError } from '../client';
import { finiteNumber, jsonValue, readFlagFile, wholeNumber } from '../flags';

export interface SiteFlag {
  name: string;
  dataset?: string;
  remote?: true;
  placement?: { namespace: string };
  architecture?: string;
}

/**
 * `--site-namespace site=namespace` and `--site-architecture site=zoo` (repeatable): one value
 * per site name, applied to the site of that name once the list is known.
 */
export function parseSiteSetting(flag: string) {
  return (value: string, previous: Record<string, string> = {}): Record<string, string> => {
    const m = /^([a-z0-9][a-z0-9-]{0,39})=(.+)$/.exec(value);
    if (!m) throw new CliError(`${flag} must be site=value (a lower-case site name), got ${value}`);
    return { ...previous, [m[1]]: m[2] };
  };
}

/** `name=dataset` (repeatable) into the sites list. */
export function parseSite(value: string, previous: SiteFlag[] = []): SiteFlag[] {
  const m = /^([a-z0-9][a-z0-9-]{0,39})=(.+)$/.exec(value);
  if (!m) throw new CliError(`--site must be name=dataset (a lower-case name), got ${value}`);
  return [...previous, { name: m[1], dataset: m[2] }];
}

/** `--remote-site name` (repeatable): a site served by `autodl site serve` on its own files. */
export function parseRemoteSite(value: string, previous: SiteFlag[] = []): SiteFlag[] {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(value))
    throw new CliError(`--remote-site must be a lower-case site name, got ${value}`);
  return [...previous, { name: value, remote: true }];
}

/** [option key, spec field, flag] of the flags that take whole numbers. */
const WHOLE: [string, string, string][] = [
  ['epochs', 'epochs', '--epochs'],
  ['period', 'period', '--period'],
  ['localEpochs', 'localEpochs', '--local-epochs'],
  ['batchSize', 'batchSize', '--batch-size'],
  ['width', 'width', '--width'],
  ['quorum', 'quorum', '--quorum'],
  ['roundRetries', 'roundRetries', '--round-retries'],
  ['siteTimeout', 'siteTimeoutSeconds', '--site-timeout'],
  ['warmupRounds', 'warmupRounds', '--warmup-rounds'],
  ['rampRounds', 'rampRounds', '--ramp-rounds'],
  ['seed', 'seed', '--seed'],
];

/** The flags that take any number. */
const NUMBER: [string, string, string][] = [
  ['lr', 'learningRate', '--lr'],
  ['minLr', 'minLr', '--min-lr'],
  ['peakDecay', 'peakDecay', '--peak-decay'],
  ['proximalMu', 'proximalMu', '--proximal-mu'],
  ['serverMomentum', 'serverMomentum', '--server-momentum'],
  ['mixupAlpha', 'mixupAlpha', '--mixup-alpha'],
  ['temperature', 'temperature', '--temperature'],
  ['distillationWeight', 'distillationWeight', '--distillation-weight'],
  ['roundMinLr', 'roundMinLr', '--round-min-lr'],
];

/** Per-site settings over `sites` by name; a name no site has is an error naming the flag. */
function withSiteSettings(sites: SiteFlag[], o: Record<string, unknown>): SiteFlag[] {
  const out = sites.map((x) => ({ ...x }));
  for (const [key, flag] of [
    ['siteNamespace', '--site-namespace'],
    ['siteArchitecture', '--site-architecture'],
  ] as const) {
    for (const [name, value] of Object.entries((o[key] as Record<string, string>) ?? {})) {
      const site = out.find((x) => x.name === name);
      if (!site)
        throw new CliError(
          `${flag} ${name}=${value}: no site ${name} (sites: ${out.map((x) => x.name).join(', ')})`,
        );
      if (key === 'siteNamespace') site.placement = { namespace: value };
      else site.architecture = value;
    }
  }
  return out;
}

/** The flags whose value goes in as the string given. */
const TEXT: [string, string][] = [
  ['architecture', 'architecture'],
  ['algorithm', 'algorithm'],
  ['optimizer', 'optimizer'],
  ['publicDataset', 'publicDataset'],
  ['sharedDataset', 'sharedDataset'],
  ['classifierCalibration', 'classifierCalibration'],
  ['teacher', 'teacher'],
  ['name', 'name'],
];

/** A `--spec` file: a JSON object, the federation spec's fields. */
export function readSpecFile(file: string): Record<string, unknown> {
  const value = jsonValue(readFlagFile(file, '--spec').toString('utf8'), `--spec ${file}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CliError(`--spec ${file} must hold a JSON object (the federation spec)`);
  return value as Record<string, unknown>;
}

/**
 * The request body: the `--spec` file's fields, then every flag given over them. Sites given by
 * flags (`--site`, `--remote-site`) replace the file's list; the file alone may hold them.
 */
export function federationBody(
  o: Record<string, unknown>,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const body: Record<string, unknown> = { ...base };
  const sites = [
    ...((o.site as SiteFlag[] | undefined) ?? []),
    ...((o.remoteSite as SiteFlag[] | undefined) ?? []),
  ];
  if (sites.length) body.sites = sites;
  if (o.siteNamespace !== undefined || o.siteArchitecture !== undefined)
    body.sites = withSiteSettings((body.sites as SiteFlag[] | undefined) ?? [], o);
  for (const [key, field] of TEXT) if (s(key) !== undefined) body[field] = s(key);
  for (const [key, field, flag] of WHOLE)
    if (s(key) !== undefined) body[field] = wholeNumber(s(key)!, flag);
  for (const [key, field, flag] of NUMBER)
    if (s(key) !== undefined) body[field] = finiteNumber(s(key)!, flag);
  if (o.scaffold === true) body.scaffold = true;
  if (o.freezeHead === true) body.freezeHead = true;
  // `--server-distillation` alone: FedDF at the server's defaults; with a number: its steps.
  if (o.serverDistillation === true) body.serverDistillation = {};
  else if (s('serverDistillation') !== undefined)
    body.serverDistillation = {
      steps: wholeNumber(s('serverDistillation')!, '--server-distillation'),
    };
  if (s('dpClip') !== undefined || s('dpNoise') !== undefined || s('dpDelta') !== undefined) {
    if (s('dpClip') === undefined || s('dpNoise') === undefined)
      throw new CliError('--dp-clip and --dp-noise go together (--dp-delta with them)');
    body.dp = {
      clipNorm: finiteNumber(s('dpClip')!, '--dp-clip'),
      noiseMultiplier: finiteNumber(s('dpNoise')!, '--dp-noise'),
      ...(s('dpDelta') !== undefined ? { delta: finiteNumber(s('dpDelta')!, '--dp-delta') } : {}),
    };
  }
  if (body.architecture === undefined)
    throw new CliError('--architecture is required (or an "architecture" field in --spec)');
  if (!Array.isArray(body.sites) || body.sites.length === 0)
    throw new CliError('give the sites: --site name=dataset, --remote-site name, or --spec');
  return body;
}
