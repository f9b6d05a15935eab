/**
 * The console's study aggregation routes on the real app and PostgreSQL: an ask/tell study with
 * known values (checked against values computed here by brute force), a 3000-trial study seeded
 * in bulk (bounded answers), a two-objective study with constraints (Pareto front by definition:
 * Deb 2000 constrained domination, infeasible never on the front), notes and bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataSource } from '../../src/platform/database/data-source';
import { insertTrialsBulk } from '../../src/search/storage/bulk-trials';
import { startTestApp, TestApp } from '../support/app';

const SPACE = {
  x: { type: 'float', low: 0, high: 10 },
  opt: { type: 'categorical', choices: ['a', 'b'] },
};
const loss = (x: number) => (x - 3) ** 2;

describe('study console aggregation (real app, real PostgreSQL)', () => {
  let app: TestApp;
  let small: string;
  const told: { number: number; x: number; opt: string; value: number }[] = [];
  before(async () => {
    app = await startTestApp({ workers: 0, coordinators: 0 });
    small = (
      await app
        .post('/v1/studies', { name: 'small', space: SPACE, direction: 'minimize' })
        .expect(202)
    ).body.id;
    for (let i = 0; i < 12; i++) {
      const asked = (await app.post(`/v1/studies/${small}/ask`).expect(201)).body;
      const x = asked.params.x as number;
      if (i === 5) {
        await app
          .post(`/v1/studies/${small}/trials/${asked.number}/tell`, { state: 'pruned' })
          .expect(200);
        continue;
      }
      told.push({ number: asked.number, x, opt: asked.params.opt, value: loss(x) });
      await app
        .post(`/v1/studies/${small}/trials/${asked.number}/tell`, { values: [loss(x)] })
        .expect(200);
    }
  });
  after(async () => {
    await app?.close();
  });

  test('summary: counts by state, best trial, parameter distributions', async () => {
    const s = (await app.get(`/v1/studies/${small}/summary`).expect(200)).body;
    assert.deepEqual(s.counts, { running: 0, complete: 11, pruned: 1, failed: 0 });
    const best = told.reduce((a, b) => (b.value < a.value ? b : a));
    assert.equal(s.best[0].number, best.number);
    assert.deepEqual(Object.keys(s.params).sort(), ['opt', 'x']);
    assert.equal(s.params.x.type, 'float');
  });

  test('history: every complete trial when they fit, best-so-far is the running minimum', async () => {
    const h = (await app.get(`/v1/studies/${small}/history?points=100`).expect(200)).body;
    assert.deepEqual(
      h.points.map((p: { number: number }) => p.number),
      told.map((t) => t.number),
    );
    let best = Infinity;
    const expected = told.map((t) => ({
      number: t.number,
      value: (best = Math.min(best, t.value)),
    }));
    assert.deepEqual(h.best, expected);
    // 3 buckets of 4 (last 3): at most 2 dots each, the overall minimum among them.
    const coarse = (await app.get(`/v1/studies/${small}/history?points=3`).expect(200)).body;
    assert.ok(coarse.points.length <= 6);
    assert.equal(Math.min(...coarse.points.map((p: { value: number }) => p.value)), best);
    assert.equal(coarse.best.at(-1).value, best);
  });

  test('trials page: sorted, filtered and paginated in SQL; CSV of the filtered trials', async () => {
    const byValue = [...told].sort((a, b) => b.value - a.value);
    const page = (
      await app
        .get(
          `/v1/studies/${small}/trials/page?sort=value&order=desc&limit=5&offset=0&filter=state=complete`,
        )
        .expect(200)
    ).body;
    assert.equal(page.total, 11);
    assert.deepEqual(
      page.items.map((t: { number: number }) => t.number),
      byValue.slice(0, 5).map((t) => t.number),
    );
    const next = (
      await app
        .get(
          `/v1/studies/${small}/trials/page?sort=value&order=desc&limit=5&offset=10&filter=state=complete`,
        )
        .expect(200)
    ).body;
    assert.equal(next.items.length, 1);
    const cut = 4;
    const filtered = (
      await app
        .get(
          `/v1/studies/${small}/trials/page?filter=${encodeURIComponent(`value<${cut};params.opt=a`)}&limit=100`,
        )
        .expect(200)
    ).body;
    const want = told.filter((t) => t.value < cut && t.opt === 'a').map((t) => t.number);
    assert.deepEqual(
      filtered.items.map((t: { number: number }) => t.number),
      want,
    );
    const csv = await app
      .get(
        `/v1/studies/${small}/trials.csv?filter=${encodeURIComponent(`value<${cut};params.opt=a`)}`,
      )
      .expect(200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines[0], 'number,state,value,params_opt,params_x,started_at,finished_at');
    assert.equal(lines.length, want.length + 1);
    // The old route pages in SQL too, keeping its shape.
    const old = (await app.get(`/v1/studies/${small}/trials?limit=3&offset=2`).expect(200)).body;
    assert.equal(old.total, 12);
    assert.deepEqual(
      old.items.map((t: { number: number }) => t.number),
      [2, 3, 4],
    );
  });

  test('slice, contour, EDF, parallel, timeline, importance and notes on the small study', async () => {
    const slice = (await app.get(`/v1/studies/${small}/params/x/slice?points=5`).expect(200)).body;
    assert.equal(
      slice.bins.reduce((s: number, b: { n: number }) => s + b.n, 0),
      11,
    );
    assert.equal(slice.points, null, '11 trials do not fit in 5 points: bins only');
    for (const b of slice.bins) {
      const inBin = told.filter((t) => Math.min(5, Math.max(1, Math.floor(t.x / 2) + 1)) === b.bin);
      assert.equal(b.n, inBin.length);
      assert.equal(b.lo, Math.min(...inBin.map((t) => t.value)));
    }
    const contour = (await app.get(`/v1/studies/${small}/contour?x=x&y=opt&bins=4`).expect(200))
      .body;
    assert.equal(
      contour.cells.reduce((s: number, c: { n: number }) => s + c.n, 0),
      11,
    );
    assert.deepEqual(contour.y.ticks, ['a', 'b']);
    const edf = (await app.get(`/v1/studies/${small}/edf?points=100`).expect(200)).body;
    assert.equal(edf.points.length, 11);
    assert.equal(edf.points.at(-1).p, 1);
    const par = (await app.get(`/v1/studies/${small}/parallel?top=3&sample=1`).expect(200)).body;
    assert.equal(par.trials.filter((t: { top: boolean }) => t.top).length, 3);
    const tl = (await app.get(`/v1/studies/${small}/timeline?limit=4`).expect(200)).body;
    assert.ok(tl.trials.length <= 4 && tl.trials.length >= 3);
    const imp1 = (await app.get(`/v1/studies/${small}/importance/cached`).expect(200)).body;
    const imp2 = (await app.get(`/v1/studies/${small}/importance/cached`).expect(200)).body;
    assert.deepEqual(imp2.importance, imp1.importance);
    assert.equal(imp2.cached, true);
    await app.post(`/v1/studies/${small}/notes`, { body: 'x near 3 is best' }).expect(201);
    await app.post(`/v1/studies/${small}/notes`, { body: 'pruned early', trial: 5 }).expect(201);
    await app.post(`/v1/studies/${small}/notes`, { body: 'nope', trial: 99 }).expect(404);
    const notes = (await app.get(`/v1/studies/${small}/notes`).expect(200)).body.items;
    assert.deepEqual(
      notes.map((n: { trial: number | null; body: string }) => [n.trial, n.body]),
      [
        [null, 'x near 3 is best'],
        [5, 'pruned early'],
      ],
    );
  });

  test('an int parameter is binned at its values: contour rows and slice bins 1, 2, 3, 4', async () => {
    // Optuna's contour and slice plots show an int parameter at its integers; equal-width bins
    // of 1..4 into 25 gave 21 empty rows labelled 1.06, 1.18, ...
    const id = (
      await app
        .post('/v1/studies', {
          name: 'ints',
          space: {
            layers: { type: 'int', low: 1, high: 4 },
            lr: { type: 'float', low: 0, high: 1 },
          },
          direction: 'minimize',
        })
        .expect(202)
    ).body.id;
    const seen: { layers: number; lr: number; value: number }[] = [];
    for (let i = 0; i < 10; i++) {
      const asked = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body;
      const { layers, lr } = asked.params as { layers: number; lr: number };
      const value = (layers - 2) ** 2 + lr;
      seen.push({ layers, lr, value });
      await app
        .post(`/v1/studies/${id}/trials/${asked.number}/tell`, { values: [value] })
        .expect(200);
    }
    const contour = (await app.get(`/v1/studies/${id}/contour?x=lr&y=layers&bins=25`).expect(200))
      .body;
    assert.deepEqual(contour.y.ticks, [1, 2, 3, 4]);
    assert.equal(contour.x.ticks.length, 25, 'a float range keeps the bins asked for');
    for (const c of contour.cells as { y: number; n: number; value: number }[]) {
      const row = seen.filter((t) => t.layers === c.y + 1);
      assert.ok(row.length >= c.n, `row ${c.y}`);
    }
    for (const layers of new Set(seen.map((t) => t.layers))) {
      const cells = (contour.cells as { y: number; value: number }[]).filter(
        (c) => c.y === layers - 1,
      );
      const best = Math.min(...seen.filter((t) => t.layers === layers).map((t) => t.value));
      assert.equal(Math.min(...cells.map((c) => c.value)), best, `layers ${layers}`);
    }
    const slice = (await app.get(`/v1/studies/${id}/params/layers/slice?points=5`).expect(200))
      .body;
    assert.equal(slice.points, null, '10 trials do not fit in 5 points: bins only');
    for (const b of slice.bins as { x: number; n: number; lo: number }[]) {
      const inBin = seen.filter((t) => t.layers === b.x);
      assert.equal(b.n, inBin.length, `bin at ${b.x}`);
      assert.equal(b.lo, Math.min(...inBin.map((t) => t.value)));
    }
  });

  test('bad input is a 4xx problem, never a 500', async () => {
    const bad = await app
      .get(`/v1/studies/${small}/trials/page?filter=${encodeURIComponent('value<abc')}`)
      .expect(400);
    assert.match(bad.headers['content-type'], /problem\+json/);
    await app.get(`/v1/studies/${small}/trials/page?sort=drop`).expect(400);
    await app.get(`/v1/studies/${small}/params/nope/slice`).expect(404);
    await app.get(`/v1/studies/${small}/contour?x=x&y=x`).expect(400);
    await app.get(`/v1/studies/${small}/history?objective=1`).expect(400);
    await app.get(`/v1/studies/${small}/pareto`).expect(409);
    const other = await app.createKey('someone-else');
    await app.get(`/v1/studies/${small}/summary`, other).expect(404);
    await app.post(`/v1/studies/${small}/notes`, { body: 'x' }, other).expect(404);
  });

  test('3000 bulk trials: answers stay bounded; two objectives: constrained Pareto front', async () => {
    const big = (
      await app
        .post('/v1/studies', { name: 'big', space: SPACE, directions: ['minimize', 'maximize'] })
        .expect(202)
    ).body.id;
    const ds = await openDataSource(app.databaseUrl, 1);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const trials = Array.from({ length: 3000 }, (_, n) => {
      const x = ((n * 7919) % 1000) / 100;
      const values = [x, Math.sqrt(x) * ((n % 3) + 1)];
      return {
        number: n,
        state: n % 10 === 9 ? ('pruned' as const) : ('complete' as const),
        values: n % 10 === 9 ? null : values,
        constraints: [n % 4 === 0 ? 1 : -1],
        params: { x, opt: n % 2 ? 'a' : 'b' },
        intermediate: n % 10 === 9 ? [3, 2] : [],
        startedAt: new Date(t0 + n * 1000),
        finishedAt: new Date(t0 + n * 1000 + 500),
      };
    });
    try {
      await insertTrialsBulk(ds, big, trials, {
        x: { type: 'float', low: 0, high: 10, log: false },
        opt: { type: 'categorical', choices: ['a', 'b'] },
      });
    } finally {
      await ds.destroy();
    }
    const h = (await app.get(`/v1/studies/${big}/history?points=100`).expect(200)).body;
    assert.equal(h.complete, 2700);
    assert.ok(h.points.length <= 200 && h.best.length <= 100);
    const p = (await app.get(`/v1/studies/${big}/pareto`).expect(200)).body;
    const complete = trials.filter((t) => t.values);
    const feasible = complete.filter((t) => t.constraints[0] <= 0);
    const dominatedBy = (a: number[], b: number[]) =>
      a[0] <= b[0] && a[1] >= b[1] && (a[0] < b[0] || a[1] > b[1]);
    const front = feasible.filter((t) => !feasible.some((o) => dominatedBy(o.values!, t.values!)));
    assert.deepEqual(
      p.front.map((t: { number: number }) => t.number),
      front.map((t) => t.number),
    );
    assert.ok(p.others.some((t: { feasible: boolean }) => !t.feasible));
    assert.ok(p.others.length <= 2000);
    const im = (await app.get(`/v1/studies/${big}/intermediate?limit=50`).expect(200)).body;
    assert.equal(im.trials.length, 50);
    assert.ok(
      im.trials.every(
        (t: { state: string; steps: unknown[] }) => t.state === 'pruned' && t.steps.length === 2,
      ),
    );
    const page = (
      await app
        .get(`/v1/studies/${big}/trials/page?sort=value&order=asc&limit=20&filter=state=complete`)
        .expect(200)
    ).body;
    assert.equal(page.total, 2700);
    assert.equal(page.items.length, 20);
  });
});
