import { after, before, describe, test } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/app';
import { darkShape, lightShape } from '../fixtures/data/shapes';
import { siteZip, startSiteAgent } from '../support/collab';

const floats = (b: Buffer): Float32Array => {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
};

/**
 * SCAFFOLD (docs/collab.md, "SCAFFOLD"): a fedavg federation with `scaffold: true` through the
 * REST API on a real database, two local sites in pool site jobs and one remote agent (separate
 * process): each round carries c down and c_i+ - c_i up beside the weights (2x the bytes,
 * metered), the local sites' c_i persist in collab_site_controls between their jobs, the agent's
 * in its state directory.
 */
describe('SCAFFOLD federation: pool site jobs and a remote agent keep c_i between rounds', () => {
  let app: TestApp;
  let db: Client;
  const datasets: string[] = [];

  before(async () => {
    app = await startTestApp({
      workers: 2,
      coordinators: 1,
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    for (const site of [0, 1]) {
      const res = await app.uploadDataset(
        { name: `scaffold-${site}`, split: '0.5,0.25,0.25', seed: String(site) },
        siteZip(site, 8),
        `scaffold-${site}.zip`,
      );
      assert.equal(res.status, 201, res.text);
      datasets.push(res.body.id);
    }
  });
  after(async () => {
    await db?.end();
    await app?.close();
  });

  test('bad scaffold settings are 400 problems naming the field', async () => {
    const sites = datasets.map((d, i) => ({ name: `s${i}`, dataset: d }));
    for (const [body, pattern] of [
      [{ scaffold: 'yes' }, /scaffold/],
      [{ algorithm: 'mcl', scaffold: true }, /scaffold: applies to fedavg and esp-clr/],
      [
        { scaffold: true, dp: { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 } },
        /scaffold: is not combined with dp/,
      ],
    ] as const) {
      const res = await app
        .post('/v1/federations', { architecture: 'small-cnn', sites, ...body })
        .expect(400);
      assert.match(res.text, pattern);
    }
  });

  test('fedavg + scaffold, 3 rounds: c and delta c_i cross beside the weights; c_i persists at every site', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaffold-site-'));
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaffold-state-'));
    for (const cls of ['dark', 'light']) fs.mkdirSync(path.join(dir, cls));
    for (let i = 0; i < 8; i++) {
      fs.writeFileSync(path.join(dir, 'dark', `${300 + i}.png`), darkShape(300 + i));
      fs.writeFileSync(path.join(dir, 'light', `${300 + i}.png`), lightShape(300 + i));
    }
    const created = await app
      .post('/v1/federations', {
        architecture: 'small-cnn',
        width: 4,
        sites: [
          ...datasets.map((d, i) => ({ name: `s${i}`, dataset: d })),
          { name: 'remote', remote: true },
        ],
        algorithm: 'fedavg',
        scaffold: true,
        epochs: 3,
        learningRate: 0.02,
        optimizer: 'adam',
        batchSize: 4,
        quorum: 3,
        siteTimeoutSeconds: 300,
      })
      .expect(202);
    const id = created.body.id as string;
    const siteKey = (await app.post(`/v1/federations/${id}/sites/remote/key`).expect(201)).body
      .key as string;
    const agent = startSiteAgent({ coordinator: app.url, key: siteKey, dir, stateDir });
    await agent.finish(app, id);

    const fed = (await app.get(`/v1/federations/${id}`).expect(200)).body;
    const model = (await app.get(`/v1/models/${fed.modelId}`).expect(200)).body;
    const weightBytes = 4 * model.params;
    assert.equal(fed.rounds.length, 3);
    // Each round is a line of the job's log: the sites averaged and the bytes that crossed.
    const events = (await app.get(`/v1/jobs/${id}/events`).expect(200)).body as {
      type: string;
      message: string;
    }[];
    const roundLines = events.filter((e) => e.type === 'log' && /^round \d\/3/.test(e.message));
    assert.equal(roundLines.length, 3, JSON.stringify(events));
    for (const line of roundLines) {
      const averaged = /averaged ([^;]+);/.exec(line.message)?.[1].split(', ').sort();
      assert.deepEqual(averaged, ['remote', 's0', 's1'], line.message);
    }
    for (const r of fed.rounds) {
      assert.deepEqual([...r.accepted].sort(), ['remote', 's0', 's1']);
      // Down: global weights + c; up: weights + delta c_i. Twice plain fedavg's bytes.
      for (const s of r.sites) {
        assert.equal(s.bytesSent, 2 * weightBytes, `round ${r.round} ${s.site}`);
        assert.equal(s.bytesReceived, 2 * weightBytes, `round ${r.round} ${s.site}`);
      }
    }

    // Local sites: c_i of the last round in the database; current - previous is the delta the
    // site shared in that round (the second half of its answer's shared state).
    const controls = (
      await db.query(
        `SELECT site, round, previous, current FROM collab_site_controls
          WHERE federation_id = $1 ORDER BY site`,
        [id],
      )
    ).rows as { site: string; round: number; previous: Buffer | null; current: Buffer }[];
    assert.deepEqual(
      controls.map((c) => [c.site, c.round]),
      [
        ['s0', 2],
        ['s1', 2],
      ],
    );
    for (const c of controls) {
      const shared = (
        await db.query(
          `SELECT shared_state FROM collab_site_work WHERE federation_id = $1 AND site = $2
             AND round = 2 AND kind = 'train' AND status = 'done'`,
          [id, c.site],
        )
      ).rows[0] as { shared_state: Buffer };
      assert.equal(shared.shared_state.byteLength, 2 * weightBytes);
      const delta = floats(shared.shared_state.subarray(weightBytes));
      const cur = floats(c.current);
      const prev = floats(c.previous!);
      let worst = 0;
      let norm = 0;
      for (let j = 0; j < delta.length; j++) {
        worst = Math.max(worst, Math.abs(cur[j] - prev[j] - delta[j]));
        norm += cur[j] * cur[j];
      }
      assert.ok(worst < 1e-5, `${c.site}: c_i+ - c_i = shared delta (max error ${worst})`);
      assert.ok(norm > 0, `${c.site}: c_i is not zero`);
    }

    // The remote site: c_i in its own state directory, never in the coordinator's database.
    const files = fs.readdirSync(stateDir);
    assert.deepEqual(files, [`scaffold-${id}-remote.json`]);
    const state = JSON.parse(fs.readFileSync(path.join(stateDir, files[0]), 'utf8')) as {
      round: number;
    };
    assert.equal(state.round, 2);
  });
});
