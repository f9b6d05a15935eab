import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { federationSpec } from '../../collab/federation.schema';
import {
  federationBody,
  parseRemoteSite,
  parseSite,
  parseSiteSetting,
  readSpecFile,
} from './collab-body';

test('collab run flags: every option becomes its spec field, and the service schema accepts the body', () => {
  const sites = parseRemoteSite('far', parseSite('b=fm-b', parseSite('a=fm-a')));
  const body = federationBody({
    architecture: 'small-cnn',
    site: sites.filter((s) => !s.remote),
    remoteSite: sites.filter((s) => s.remote),
    algorithm: 'esp-clr',
    epochs: '8',
    period: '4',
    lr: '0.02',
    minLr: '0.0004',
    peakDecay: '0.5',
    serverMomentum: '0.5',
    scaffold: true,
    freezeHead: true,
    sharedDataset: 'fm-shared',
    classifierCalibration: 'ccvr',
    roundRetries: '2',
    siteTimeout: '60',
    seed: '3',
  });
  assert.deepEqual(body, {
    architecture: 'small-cnn',
    sites: [
      { name: 'a', dataset: 'fm-a' },
      { name: 'b', dataset: 'fm-b' },
      { name: 'far', remote: true },
    ],
    algorithm: 'esp-clr',
    epochs: 8,
    period: 4,
    learningRate: 0.02,
    minLr: 0.0004,
    peakDecay: 0.5,
    serverMomentum: 0.5,
    scaffold: true,
    freezeHead: true,
    sharedDataset: 'fm-shared',
    classifierCalibration: 'ccvr',
    roundRetries: 2,
    siteTimeoutSeconds: 60,
    seed: 3,
  });
  // The same body the REST API validates: no flag produces a field the service would refuse.
  const spec = federationSpec.parse(body, 'spec');
  assert.equal(spec.scaffold, true);
  assert.equal(spec.freezeHead, true);
  assert.equal(spec.classifierCalibration, 'ccvr');
  assert.equal(spec.sites[2].remote, true);

  const codistill = federationBody({
    architecture: 'small-cnn',
    site: parseSite('b=fm-b', parseSite('a=fm-a')),
    algorithm: 'codistill',
    publicDataset: 'fm-public',
    teacher: 'ensemble',
    roundMinLr: '0.0005',
    distillationWeight: '2',
    warmupRounds: '1',
    rampRounds: '3',
    temperature: '2',
  });
  assert.deepEqual(
    [
      codistill.teacher,
      codistill.roundMinLr,
      codistill.distillationWeight,
      codistill.warmupRounds,
      codistill.rampRounds,
    ],
    ['ensemble', 0.0005, 2, 1, 3],
  );
  assert.equal(federationSpec.parse(codistill, 'spec').teacher, 'ensemble');
});

test('collab run --spec: a file holds any field (placements, per-site architectures); flags override it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-spec-'));
  const file = path.join(dir, 'fed.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      architecture: 'small-cnn',
      algorithm: 'fedavg',
      epochs: 2,
      sites: [{ name: 'gpu', dataset: 'fm-a', placement: { namespace: 'site-gpu' } }],
    }),
  );
  const fromFile = federationBody({}, readSpecFile(file));
  assert.deepEqual(fromFile.sites, [
    { name: 'gpu', dataset: 'fm-a', placement: { namespace: 'site-gpu' } },
  ]);
  const overridden = federationBody({ epochs: '6', site: parseSite('x=fm-x') }, readSpecFile(file));
  assert.equal(overridden.epochs, 6);
  assert.equal(overridden.algorithm, 'fedavg', 'a field no flag gives stays the file’s');
  assert.deepEqual(
    overridden.sites,
    [{ name: 'x', dataset: 'fm-x' }],
    'flag sites replace the file’s',
  );

  fs.writeFileSync(file, '[1, 2]');
  assert.throws(() => readSpecFile(file), /--spec .* must hold a JSON object/);
  fs.writeFileSync(file, '{"architecture": ');
  assert.throws(() => readSpecFile(file), /--spec .* is not valid JSON/);
  assert.throws(() => readSpecFile(path.join(dir, 'missing.json')), /--spec .*: no such file/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('collab run flags: bad values and missing parts are CLI errors naming the flag', () => {
  const site = parseSite('a=fm-a');
  assert.throws(() => parseSite('A=fm'), /--site must be name=dataset/);
  assert.throws(() => parseRemoteSite('Far Away'), /--remote-site must be a lower-case site name/);
  assert.throws(
    () => federationBody({ architecture: 'small-cnn', site, epochs: '2.5' }),
    /--epochs must be a whole number, got 2.5/,
  );
  assert.throws(
    () => federationBody({ architecture: 'small-cnn', site, peakDecay: 'half' }),
    /--peak-decay must be a number, got half/,
  );
  assert.throws(
    () => federationBody({ architecture: 'small-cnn', site, dpClip: '1' }),
    /--dp-clip and --dp-noise go together/,
  );
  assert.throws(() => federationBody({ site }), /--architecture is required/);
  assert.throws(() => federationBody({ architecture: 'small-cnn' }), /give the sites/);
});

test('collab run: a site’s namespace and architecture by name, FedDF with or without its steps, the DP delta', () => {
  const sites = parseSite('b=fm-b', parseSite('a=fm-a'));
  const ns = parseSiteSetting('--site-namespace');
  const body = federationBody({
    architecture: 'small-cnn',
    site: sites,
    siteNamespace: ns('b=site-gpu', ns('a=site-cpu')),
    serverDistillation: '200',
    publicDataset: 'fm-public',
    dpClip: '10',
    dpNoise: '0.5',
    dpDelta: '1e-6',
  });
  assert.deepEqual(body.sites, [
    { name: 'a', dataset: 'fm-a', placement: { namespace: 'site-cpu' } },
    { name: 'b', dataset: 'fm-b', placement: { namespace: 'site-gpu' } },
  ]);
  assert.deepEqual(body.serverDistillation, { steps: 200 });
  assert.deepEqual(body.dp, { clipNorm: 10, noiseMultiplier: 0.5, delta: 1e-6 });
  // The service's schema takes it (the namespace is checked against its list at submission).
  const spec = federationSpec.parse(body, 'spec');
  assert.equal(spec.sites[1].placement?.namespace, 'site-gpu');
  assert.equal(spec.dp?.delta, 1e-6);
  // The flag alone: FedDF at the server's defaults.
  assert.deepEqual(
    federationBody({ architecture: 'small-cnn', site: sites, serverDistillation: true })
      .serverDistillation,
    {},
  );
  // codistill: a site's own architecture, over the sites of a --spec file too.
  const arch = parseSiteSetting('--site-architecture')('b=mobilenet');
  const codistill = federationBody(
    { siteArchitecture: arch },
    { architecture: 'small-cnn', algorithm: 'codistill', publicDataset: 'p', sites },
  );
  assert.deepEqual(codistill.sites, [
    { name: 'a', dataset: 'fm-a' },
    { name: 'b', dataset: 'fm-b', architecture: 'mobilenet' },
  ]);
  assert.equal(federationSpec.parse(codistill, 'spec').sites[1].architecture, 'mobilenet');

  assert.throws(() => ns('A=x'), /--site-namespace must be site=value/);
  assert.throws(
    () => federationBody({ architecture: 'small-cnn', site: sites, siteNamespace: ns('c=x') }),
    /--site-namespace c=x: no site c \(sites: a, b\)/,
  );
  assert.throws(
    () => federationBody({ architecture: 'small-cnn', site: sites, serverDistillation: 'many' }),
    /--server-distillation must be a whole number, got many/,
  );
  assert.throws(
    () => federationBody({ architecture: 'small-cnn', site: sites, dpDelta: '1e-6' }),
    /--dp-clip and --dp-noise go together/,
  );
});
