import * as fs from 'node:fs';
import * as path from 'node:path';
import { grayPng } from '../../../test/fixtures/data/images';
import { writeZip } from '../../../test/fixtures/data/zip-writer';
import type { Shot } from '../screenshots';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples', 'jizhi');
const example = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8')) as Record<string, unknown>;

/**
 * Four classes of noisy 16x16 stripes (horizontal, vertical, diagonal, checks) with a random
 * phase and period: unlike the e2e shapes (separable by mean intensity) they need spatial
 * features, so architectures differ in accuracy and the front has a shape.
 */
export function patternsZip(perClass: number, firstSeed = 11): Buffer {
  let seed = firstSeed;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const classes: Record<string, (x: number, y: number, p: number) => number> = {
    horizontal: (_x, y, p) => y + p,
    vertical: (x, _y, p) => x + p,
    diagonal: (x, y, p) => x + y + p,
    checks: (x, y, p) => (Math.floor(x / 2) + Math.floor(y / 2)) * 2 + p,
  };
  const entries = Object.entries(classes).flatMap(([name, wave]) =>
    Array.from({ length: perClass }, (_, k) => {
      const phase = Math.floor(rand() * 4);
      const period = 3 + Math.floor(rand() * 2);
      const noise = Array.from({ length: 256 }, () => rand());
      const data = grayPng(16, 16, (x, y) => {
        const on = Math.floor(wave(x, y, phase) / (period / 2)) % 2 === 0;
        return Math.round(
          Math.min(255, Math.max(0, (on ? 170 : 85) + (noise[y * 16 + x] - 0.5) * 160)),
        );
      });
      return { name: `${name}/${k}.png`, data };
    }),
  );
  return writeZip(entries);
}

/**
 * The simulator and architecture-search pages: the recommender pipeline of examples/jizhi
 * simulated and tuned (shorter runs than the examples, same shapes), and a small NAS run on
 * noisy stripes.
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
      await page
        .locator('[data-chart="latency-cdf"] svg path')
        .first()
        .waitFor({ state: 'attached' });
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
      await page
        .locator('[data-chart="tuning-pareto"] svg path')
        .first()
        .waitFor({ state: 'attached' });
      await page.waitForTimeout(500);
    },
  },
  {
    file: 'console-nas.png',
    fullPage: true,
    async take({ app, page, state }) {
      const up = await app.uploadDataset(
        { name: 'stripes', split: '0.6,0.2,0.2', seed: '3' },
        patternsZip(60),
        'stripes.zip',
      );
      if (up.status !== 201) throw new Error(`upload: ${up.status} ${up.text}`);
      state.stripes = up.body.id as string;
      const created = await app
        .post('/v1/nas', {
          dataset: state.stripes,
          space: { type: 'cell-cnn', minBlocks: 1, maxBlocks: 3, baseWidth: 4, denseUnits: 16 },
          objective: { kind: 'multi', costs: ['flops'] },
          budget: { trials: 16, epochsPerTrial: 4, batchSize: 16, learningRate: 0.01 },
          seed: 5,
        })
        .expect(202);
      const id = created.body.id as string;
      await app.waitForJob(id, (j) => j.status === 'succeeded');
      const run = (await app.get(`/v1/nas/${id}`).expect(200)).body;
      await page.goto(`${app.url}/nas/${id}`);
      await page.getByRole('heading', { name: 'Fronts' }).waitFor({ timeout: 60_000 });
      await page
        .locator('[data-chart="nas-front"] svg path')
        .first()
        .waitFor({ state: 'attached' });
      const best = run.leaderboard?.[0]?.number as number | undefined;
      if (best !== undefined) {
        await page.getByRole('button', { name: `Show trial ${best}` }).click();
        await page.getByRole('heading', { name: `Architecture of trial ${best}` }).waitFor();
      }
      await page.waitForTimeout(500);
    },
  },
];
