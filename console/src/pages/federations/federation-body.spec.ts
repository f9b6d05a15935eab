import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  detailErrors,
  formProblems,
  federationBody,
  fieldErrors,
  fieldOf,
  initialForm,
  nextSiteName,
  siteForm,
} from './federation-body';

test('the body: sites by data set name or remote, only the numbers typed, schedule by algorithm', () => {
  const form = {
    ...initialForm(),
    sites: [siteForm(' north ', 'fashion-a'), { ...siteForm('south', 'ignored'), remote: true }],
    epochs: '8',
    period: '4',
    localEpochs: '2',
    learningRate: 'fast',
    freezeHead: true,
    sharedDataset: 'shared-200',
  };
  assert.deepEqual(federationBody(form), {
    architecture: 'small-cnn',
    algorithm: 'esp-clr',
    sites: [
      { name: 'north', dataset: 'fashion-a' },
      { name: 'south', remote: true },
    ],
    epochs: 8,
    // Not a number: sent as typed, so the server names the field (never silently dropped).
    learningRate: 'fast',
    period: 4,
    sharedDataset: 'shared-200',
    freezeHead: true,
  });
  // fedavg reads localEpochs, not esp-clr's period and cycle minimum.
  const fedavg = federationBody({ ...form, algorithm: 'fedavg', minLr: '0.001' });
  assert.equal(fedavg.localEpochs, 2);
  assert.equal(fedavg.period, undefined);
  assert.equal(fedavg.minLr, undefined);
  assert.equal(fedavg.freezeHead, true);
  // codistill exchanges predictions on a public set: that, but no shared labelled set, no frozen
  // head, no calibration.
  assert.equal(
    federationBody({ ...form, algorithm: 'codistill', publicDataset: 'pub' }).publicDataset,
    'pub',
  );
  assert.equal(federationBody({ ...form, publicDataset: 'pub' }).publicDataset, undefined);
  const codistill = federationBody({ ...form, algorithm: 'codistill', calibrateHead: true });
  assert.equal(codistill.sharedDataset, undefined);
  assert.equal(codistill.freezeHead, undefined);
  assert.equal(codistill.classifierCalibration, undefined);
  assert.equal(federationBody({ ...form, calibrateHead: true }).classifierCalibration, 'ccvr');
});

test("server problems land on the field they name, in either of the server's path forms", () => {
  assert.equal(fieldOf('sites[1].dataset'), 'sites.1.dataset');
  assert.equal(fieldOf('spec.sites.0.dataset'), 'sites.0.dataset');
  assert.equal(fieldOf('sites[2]'), 'sites.2');
  assert.equal(fieldOf('spec.epochs'), 'epochs');
  assert.equal(fieldOf('dp.clipNorm'), 'dp.clipNorm');
  assert.equal(fieldOf('spec.dp'), 'dp');
  assert.equal(fieldOf('serverDistillation.steps'), 'serverDistillation.steps');
  assert.equal(fieldOf('spec.serverDistillation'), 'serverDistillation');
  assert.equal(fieldOf(undefined), '');
  assert.deepEqual(
    fieldErrors([
      { field: 'epochs', message: 'must be >= 1' },
      { message: 'sites.0.dataset: federations take image data sets for now' },
      { field: 'sites[0].name', message: 'must match pattern' },
      { field: 'spec.dp.clipNorm', message: 'must be > 0' },
      { field: 'spec.scaffold', message: 'is not combined with dp' },
      { field: 'serverDistillation.steps', message: 'must be >= 1' },
      { field: 'spec.sites.1.placement.namespace', message: 'must be one of site-a' },
      { field: 'spec.roundMinLr', message: 'applies to codistill' },
    ]),
    {
      epochs: ['must be >= 1'],
      // No input for these: at the top, naming the field.
      '': [
        'sites.0.dataset: federations take image data sets for now',
        'roundMinLr: applies to codistill',
      ],
      // At the steps field; the FedDF box itself shows problems about the whole option.
      'serverDistillation.steps': ['must be >= 1'],
      'sites.1.placement': ['must be one of site-a'],
      'sites.0.name': ['must match pattern'],
      'dp.clipNorm': ['must be > 0'],
      scaffold: ['is not combined with dp'],
    },
  );
});

test('a new site gets the first free name', () => {
  assert.equal(nextSiteName(initialForm().sites), 'site-c');
  assert.equal(nextSiteName([siteForm('site-b')]), 'site-a');
});

test("a 422's detail that starts with a field goes to that field; other details to the top", () => {
  assert.deepEqual(detailErrors('sites.2.dataset: other-classes has the classes [dark, pale]'), {
    'sites.2.dataset': ['other-classes has the classes [dark, pale]'],
  });
  assert.deepEqual(detailErrors("sharedDataset: it is site s1's data set"), {
    sharedDataset: ["it is site s1's data set"],
  });
  assert.deepEqual(detailErrors('the queue is full: try later'), {
    '': ['the queue is full: try later'],
  });
});

test('a local site without a data set is caught before the request; a remote one needs none', () => {
  const form = initialForm();
  form.sites[0].dataset = 'fashion-a';
  form.sites.push({ ...siteForm('site-c'), remote: true });
  assert.deepEqual(formProblems(form), {
    'sites.1.dataset': ['choose a data set, or mark the site remote'],
  });
});

test('a site split hands its data sets over: one site each, named in order', () => {
  assert.deepEqual(initialForm(['fa-1', 'fa-2', 'fa-3']).sites, [
    siteForm('site-a', 'fa-1'),
    siteForm('site-b', 'fa-2'),
    siteForm('site-c', 'fa-3'),
  ]);
});

test('differential privacy and SCAFFOLD: sent for the algorithms that take them, the numbers as typed', () => {
  const form = {
    ...initialForm(['a', 'b']),
    privacy: true,
    dpClip: '10',
    dpNoise: '0.5',
    scaffold: true,
  };
  const body = federationBody(form);
  // delta left empty: the server's default (1e-5).
  assert.deepEqual(body.dp, { clipNorm: 10, noiseMultiplier: 0.5 });
  assert.equal(body.scaffold, true);
  assert.deepEqual(federationBody({ ...form, dpDelta: '1e-6' }).dp, {
    clipNorm: 10,
    noiseMultiplier: 0.5,
    delta: 1e-6,
  });
  // Not a number: as typed, for the server to name the field.
  assert.equal(
    (federationBody({ ...form, dpNoise: 'lots' }).dp as { noiseMultiplier: unknown })
      .noiseMultiplier,
    'lots',
  );
  // Unticked, nothing is sent; codistill shares predictions: neither applies.
  assert.equal(federationBody({ ...form, privacy: false }).dp, undefined);
  const codistill = federationBody({ ...form, algorithm: 'codistill', publicDataset: 'p' });
  assert.equal(codistill.dp, undefined);
  assert.equal(codistill.scaffold, undefined);
  // mcl averages weights (dp applies) but has no control variates.
  const mcl = federationBody({ ...form, algorithm: 'mcl' });
  assert.deepEqual(mcl.dp, { clipNorm: 10, noiseMultiplier: 0.5 });
  assert.equal(mcl.scaffold, undefined);
});

test('privacy without its clip norm or noise is caught before the request', () => {
  const form = { ...initialForm(['a', 'b']), privacy: true, dpNoise: '0.5' };
  assert.deepEqual(formProblems(form), {
    'dp.clipNorm': ['required with differential privacy, e.g. 10'],
  });
  assert.deepEqual(formProblems({ ...form, algorithm: 'codistill' }), {});
});

test('a site placed in a Kubernetes namespace, a codistill site’s own architecture: each where the server takes it', () => {
  const form = initialForm(['a', 'b']);
  form.sites[0] = { ...form.sites[0], namespace: 'site-a', architecture: 'mobilenet' };
  form.sites[1] = { ...form.sites[1], remote: true, namespace: 'site-b' };
  // esp-clr averages weights: one architecture, no per-site one; a remote site runs where its
  // agent runs, so its namespace is not sent.
  assert.deepEqual(federationBody(form).sites, [
    { name: 'site-a', dataset: 'a', placement: { namespace: 'site-a' } },
    { name: 'site-b', remote: true },
  ]);
  // codistill's sites train inside the coordinator: their own architecture, no placement.
  form.sites[1] = siteForm('site-b', 'b');
  assert.deepEqual(federationBody({ ...form, algorithm: 'codistill' }).sites, [
    { name: 'site-a', dataset: 'a', architecture: 'mobilenet' },
    { name: 'site-b', dataset: 'b' },
  ]);
});

test('FedDF: its steps as typed, the public set it distills on asked for before the request', () => {
  const form = { ...initialForm(['a', 'b']), serverDistillation: true, quorum: '2' };
  assert.deepEqual(formProblems(form), {
    publicDataset: ['FedDF distills on a public set: choose one'],
  });
  const body = federationBody({ ...form, publicDataset: 'pub', distillationSteps: '200' });
  assert.deepEqual(body.serverDistillation, { steps: 200 });
  assert.equal(body.publicDataset, 'pub');
  assert.equal(body.quorum, 2);
  // Steps left empty: the server's default; mcl has no FedDF, so neither it nor the set is sent.
  assert.deepEqual(federationBody({ ...form, publicDataset: 'pub' }).serverDistillation, {});
  const mcl = federationBody({ ...form, algorithm: 'mcl', publicDataset: 'pub' });
  assert.equal(mcl.serverDistillation, undefined);
  assert.equal(mcl.publicDataset, undefined);
  assert.deepEqual(formProblems({ ...form, algorithm: 'mcl' }), {});
});
