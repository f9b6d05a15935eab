/**
 * The auto sampler, the GP and warm starts over REST on the real app: the default sampler of a new
 * study is `auto`, each trial says which sampler proposed it, `sampler: gp` is accepted, and a
 * study warm-started from another one's trials starts from a model instead of random draws.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TestApp } from '../support/app';

interface Trial {
  number: number;
  params: { x: number; y: number };
  values: number[] | null;
  sampler: string | null;
}

const SPACE = { x: { type: 'float', low: -5, high: 5 }, y: { type: 'float', low: -5, high: 5 } };
const f = (p: { x: number; y: number }) => (p.x - 2) ** 2 + (p.y + 1) ** 2;

describe('auto / gp samplers and warm starts over REST', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ workers: 1, coordinators: 1 });
  });
  after(async () => {
    await app?.close();
  });

  const createStudy = async (body: Record<string, unknown>): Promise<string> =>
    (await app.post('/v1/studies', { name: 'auto', space: SPACE, ...body }).expect(202)).body.id;

  const askTell = async (id: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const asked = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body;
      await app
        .post(`/v1/studies/${id}/trials/${asked.number}/tell`, { value: f(asked.params) })
        .expect(200);
    }
  };

  const trialsOf = async (id: string): Promise<Trial[]> =>
    (await app.get(`/v1/studies/${id}/trials`).expect(200)).body.items;

  test('a new study samples with auto: its trials say gp; sampler gp is accepted and says null', async () => {
    const id = await createStudy({ sampler: undefined });
    const got = (await app.get(`/v1/studies/${id}`).expect(200)).body;
    assert.equal(got.config.sampler.name, 'auto');
    await askTell(id, 12);
    const trials = await trialsOf(id);
    assert.deepEqual(
      trials.map((t) => t.sampler),
      Array(12).fill('gp'),
    );
    const gp = await createStudy({
      sampler: { name: 'gp', settings: { seed: 2, nStartupTrials: 3 } },
    });
    await askTell(gp, 5);
    assert.ok((await trialsOf(gp)).every((t) => t.sampler === null));
  });

  test('warmStartFrom: the first trials are model-based and near the optimum; source trials are not counted', async () => {
    const source = await createStudy({ sampler: { name: 'auto', settings: { seed: 3 } } });
    await askTell(source, 20);
    const bestSource = Math.min(...(await trialsOf(source)).map((t) => (t.values as number[])[0]));
    const warm = await createStudy({
      warmStartFrom: source,
      sampler: { name: 'auto', settings: { seed: 4 } },
    });
    await askTell(warm, 3);
    const trials = await trialsOf(warm);
    assert.equal(trials.length, 3);
    const got = (await app.get(`/v1/studies/${warm}`).expect(200)).body;
    assert.equal(got.counts.complete, 3);
    assert.equal(got.config.warmStartFrom, source);
    // Three random draws on [-5, 5]^2 land below 0.5 with probability ~5%; the GP on the source's
    // 20 trials proposes the region of its best.
    const best = Math.min(...trials.map((t) => (t.values as number[])[0]));
    assert.ok(best < Math.max(bestSource, 0.01) + 0.5, `${best} vs ${bestSource}`);
  });

  test('warmStartFrom must name a study of this project with the same directions (400 naming the field)', async () => {
    const missing = await app
      .post('/v1/studies', {
        name: 'w',
        space: SPACE,
        warmStartFrom: '00000000-0000-4000-8000-000000000000',
      })
      .expect(400);
    assert.equal(missing.body.errors[0].field, 'warmStartFrom');
    const source = await createStudy({});
    const other = await app
      .post('/v1/studies', {
        name: 'w',
        space: SPACE,
        direction: 'maximize',
        warmStartFrom: source,
      })
      .expect(400);
    assert.equal(other.body.errors[0].field, 'warmStartFrom');
    await app.post('/v1/studies', { name: 'w', space: SPACE, warmStartFrom: 'nope' }).expect(400);
    // Another project cannot see the source.
    const key = await app.createKey('other-project');
    const foreign = await app
      .post('/v1/studies', { name: 'w', space: SPACE, warmStartFrom: source }, key)
      .expect(400);
    assert.equal(foreign.body.errors[0].field, 'warmStartFrom');
  });
});
