import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../support/app';
import { siteZip } from '../support/collab';

const run = promisify(execFile);
const bin = path.resolve(__dirname, '..', '..', 'bin', 'autodl.js');

interface Sizes {
  train: number;
  validation: number;
  test: number;
}

/**
 * The experiment helper of issue 14 through the API and the CLI: one registered data set split
 * into site data sets (all registered or none), then a federation over them.
 */
describe('splitting a data set into federation sites (REST, CLI, a federation over them)', () => {
  let app: TestApp;
  let source: { id: string; splitSizes: Sizes; stats: { size: number } };
  before(async () => {
    app = await startTestApp({
      workers: 2,
      coordinators: 1,
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    const res = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
      siteZip(0, 24),
      'shapes.zip',
    );
    assert.equal(res.status, 201, res.text);
    source = res.body;
  });
  after(async () => {
    await app?.close();
  });
  const cli = (args: string[]) =>
    run(process.execPath, [bin, ...args], {
      env: { ...process.env, AUTODL_URL: app.url, AUTODL_HOME: app.home },
      timeout: 120_000,
    });

  test('three Dirichlet sites: the source split for split, lineage in options, then a federation', async () => {
    const made = await app
      .post('/v1/datasets/shapes/site-split', { sites: 3, split: 'dirichlet', alpha: 0.5, seed: 1 })
      .expect(201);
    const items = made.body.items as {
      id: string;
      name: string;
      source: string;
      splitSizes: Sizes;
      stats: { size: number };
      options: Record<string, unknown>;
    }[];
    assert.deepEqual(
      items.map((d) => d.name),
      ['shapes-site-1', 'shapes-site-2', 'shapes-site-3'],
    );
    for (const part of ['train', 'validation', 'test'] as const)
      assert.equal(
        items.reduce((n, d) => n + d.splitSizes[part], 0),
        source.splitSizes[part],
        part,
      );
    for (const [k, d] of items.entries()) {
      assert.equal(d.source, 'derived');
      assert.equal(d.options.derivedFrom, source.id);
      assert.equal(d.options.site, k + 1);
      assert.deepEqual(d.options.split, { kind: 'dirichlet', alpha: 0.5 });
    }
    // The same request again: every name is taken, a 409, and nothing more is registered.
    const before = (await app.get('/v1/datasets').expect(200)).body.total;
    await app.post('/v1/datasets/shapes/site-split', { sites: 3, seed: 1 }).expect(409);
    assert.equal((await app.get('/v1/datasets').expect(200)).body.total, before);

    const fed = await app
      .post('/v1/federations', {
        architecture: 'small-cnn',
        width: 4,
        epochs: 2,
        period: 1,
        batchSize: 4,
        sites: items.map((d, i) => ({ name: `s${i}`, dataset: d.name })),
      })
      .expect(202);
    await app.waitForJob(fed.body.id, (j) => j.status === 'succeeded');
    const done = (await app.get(`/v1/federations/${fed.body.id}`).expect(200)).body;
    assert.deepEqual(
      done.sites.map((s: { samples: number }) => s.samples),
      items.map((d) => d.splitSizes.train),
    );
  });

  test('all or none: a name taken half-way registers none of the sites', async () => {
    const taken = await app.uploadDataset(
      { name: 'part-2', split: '0.5,0.25,0.25' },
      siteZip(1, 4),
      'taken.zip',
    );
    assert.equal(taken.status, 201, taken.text);
    const res = await app
      .post('/v1/datasets/shapes/site-split', { sites: 3, prefix: 'part' })
      .expect(409);
    assert.match(res.text, /part-2 already exists/);
    const names = (await app.get('/v1/datasets?limit=500').expect(200)).body.items.map(
      (d: { name: string }) => d.name,
    );
    assert.ok(!names.includes('part-1'));
    assert.ok(!names.includes('part-3'));
  });

  test('bad requests are 4xx problems naming the field', async () => {
    const one = await app.post('/v1/datasets/shapes/site-split', { sites: 1 }).expect(400);
    assert.match(one.text, /sites/);
    const kind = await app
      .post('/v1/datasets/shapes/site-split', { sites: 2, split: 'random' })
      .expect(400);
    assert.match(kind.text, /split/);
    // Two classes cannot go to three sites as disjoint subsets.
    const classes = await app
      .post('/v1/datasets/shapes/site-split', { sites: 3, split: 'classes' })
      .expect(400);
    assert.match(classes.text, /disjoint class subsets need >= 3 classes, the data has 2/);
    await app.post('/v1/datasets/no-such-data/site-split', { sites: 2 }).expect(404);
  });

  test('autodl collab split prints the sites with their class counts', async () => {
    const { stdout } = await cli([
      'collab',
      'split',
      'shapes',
      '--sites',
      '2',
      '--split',
      'classes',
      '--prefix',
      'by-class',
    ]);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0], /name\s+id\s+train\s+validation\s+test\s+classes/i);
    // Disjoint classes: each site holds one of the two classes only.
    const site1 = /by-class-1 .*(dark:24 light:0|dark:0 light:24)\s*$/m.exec(stdout);
    const site2 = /by-class-2 .*(dark:24 light:0|dark:0 light:24)\s*$/m.exec(stdout);
    assert.ok(site1 && site2, stdout);
    assert.notEqual(site1[1], site2[1]);
    await assert.rejects(cli(['collab', 'split', 'shapes', '--sites', 'many']), /--sites/);
  });

  test('autodl collab run over the sites with differential privacy: delta takes its default', async () => {
    const { stdout } = await cli([
      'collab',
      'run',
      '--architecture',
      'small-cnn',
      '--width',
      '4',
      '--site',
      'a=shapes-site-1',
      '--site',
      'b=shapes-site-2',
      '--epochs',
      '2',
      '--batch-size',
      '4',
      '--dp-clip',
      '1',
      '--dp-noise',
      '1.5',
    ]);
    assert.match(stdout, /\(esp-clr, local placement\): succeeded/);
    // One round (period 2 of 2 epochs): epsilon of the Gaussian mechanism at delta 1e-5.
    assert.match(stdout, /privacy\s+epsilon \d+\.\d{2} at delta 0\.00001 per site/);
  });
});
