/**
 * PATCH /v1/studies/{id}: a running study's trial budget (nTrials, parallelism) changes with the
 * creation's bounds (Katib lets maxTrialCount and parallelTrialCount of a running experiment
 * change, nothing else); a stopped study's is a 409; problems are 400s naming the field. The
 * driver picking the change up is shown end to end by k8s-custom-resources.e2e.test.ts (a Study
 * whose maxTrials is raised while it runs).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../support/app';

describe('PATCH /v1/studies/{id} (budget of a running study)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ workers: 0, coordinators: 0 });
  });
  after(async () => {
    await app?.close();
  });

  const patch = (id: string, body: unknown) =>
    app.http
      .patch(`/v1/studies/${id}`)
      .set('Authorization', `Bearer ${app.key}`)
      .send(body as object);

  test('changes nTrials and parallelism of a running study; bad bodies are 400, stopped is 409', async () => {
    const created = await app
      .post('/v1/studies', {
        name: 'budget',
        space: { x: { type: 'float', low: 0, high: 1 } },
        budget: { nTrials: 2 },
      })
      .expect(202);
    const id = created.body.id as string;
    const ok = await patch(id, { budget: { nTrials: 5, parallelism: 3 } }).expect(200);
    assert.equal(ok.body.config.budget.nTrials, 5);
    assert.equal(ok.body.config.budget.parallelism, 3);
    // The external runner completes at its budget: the stored max follows the change.
    for (let i = 0; i < 5; i++) {
      const asked = await app.post(`/v1/studies/${id}/ask`).expect(201);
      await app
        .post(`/v1/studies/${id}/trials/${asked.body.number}/tell`, { values: [i] })
        .expect(200);
    }
    assert.equal((await app.get(`/v1/studies/${id}`).expect(200)).body.status, 'completed');
    const bad = await patch(id, { budget: { nTrials: 0 } }).expect(400);
    assert.match(JSON.stringify(bad.body), /budget\.nTrials/);
    await patch(id, { budget: {} }).expect(400);
    await patch(id, { space: {} }).expect(400);
    const done = await patch(id, { budget: { nTrials: 9 } }).expect(409);
    assert.match(done.body.detail, /only a running study/);
    await patch('00000000-0000-4000-8000-000000000000', { budget: { nTrials: 9 } }).expect(404);
  });
});
