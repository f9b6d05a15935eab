import * as fs from 'node:fs';
import * as path from 'node:path';
import { shapesZip } from '../../../test/fixtures/data/shapes';
import type { Shot } from '../screenshots';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples', 'jizhi');
const example = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8')) as Record<string, unknown>;

/**
 * The simulator and architecture-search pages: the recommender pipeline of examples/jizhi
 * simulated and tuned (shorter runs than the examples, same shapes), and a small NAS run on the
 * 8x8 shapes data set.
 */
export const SIM_NAS_SHOTS: Shot[] = [
  {
    file: 'console-simulation.png',
    fullPage: true,
    async take({ app, page }) {
      const sim = await app
        .post('/v1/simulations', { ...example('simulate.json'), durationS: 120, warmupS: 10 })
        .expect(202);
      const id = sim.body.id as string;
      await app.waitForJob(id, (j) => j.status === 'succeeded');
      await page.goto(`${app.url}/simulations/${id}`);
      await page.getByRole('heading', { name: 'Latency' }).waitFor({ timeout: 60_000 });
      await page.locator('[data-chart="latency-cdf"] svg path').first().waitFor();
      await page.waitForTimeout(500);
    },
  },
  {
    file: 'console-tuning.png',
    fullPage: true,
    async take({ app, page }) {
      const tuning = await app
        .post('/v1/tunings', {
          ...example('tune.json'),
          budget: { trials: 30 },
          seeds: 1,
          durationS: 10,
          warmupS: 1,
        })
        .expect(202);
      const id = tuning.body.id as string;
      await app.waitForJob(id, (j) => j.status === 'succeeded');
      await page.goto(`${app.url}/simulations/tunings/${id}`);
      await page
        .getByRole('heading', { name: 'Configurations tried' })
        .waitFor({ timeout: 60_000 });
      await page.locator('[data-chart="tuning-pareto"] svg path').first().waitFor();
      await page.waitForTimeout(500);
    },
  },
  {
    file: 'console-nas.png',
    fullPage: true,
    async take({ app, page, state }) {
      let dataset = state.dataset;
      if (!dataset) {
        const up = await app.uploadDataset(
          { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
          shapesZip(16, 16),
          'shapes.zip',
        );
        if (up.status !== 201) throw new Error(`upload: ${up.status} ${up.text}`);
        dataset = state.dataset = up.body.id as string;
      }
      const created = await app
        .post('/v1/nas', {
          dataset,
          space: { type: 'cell-cnn', minBlocks: 1, maxBlocks: 3, baseWidth: 4, denseUnits: 8 },
          objective: { kind: 'multi', costs: ['flops'] },
          budget: { trials: 12, epochsPerTrial: 2, batchSize: 8, learningRate: 0.01 },
          seed: 5,
        })
        .expect(202);
      const id = created.body.id as string;
      await app.waitForJob(id, (j) => j.status === 'succeeded');
      const run = (await app.get(`/v1/nas/${id}`).expect(200)).body;
      await page.goto(`${app.url}/nas/${id}`);
      await page.getByRole('heading', { name: 'Fronts' }).waitFor({ timeout: 60_000 });
      await page.locator('[data-chart="nas-front"] svg path').first().waitFor();
      const best = run.leaderboard?.[0]?.number as number | undefined;
      if (best !== undefined) {
        await page.getByRole('button', { name: `Show trial ${best}` }).click();
        await page.getByRole('heading', { name: `Architecture of trial ${best}` }).waitFor();
      }
      await page.waitForTimeout(500);
    },
  },
];
