import type { Page } from 'playwright-core';
import type { TestApp } from '../../../test/support/app';
import { shapesZip } from '../../../test/fixtures/data/shapes';

/**
 * The data set and model pages for the README (bench/console/screenshots.ts lists them in SHOTS).
 * Typed structurally like its `Shot` so this file does not depend on the order of merges.
 */
interface RegistryShot {
  file: string;
  fullPage?: boolean;
  take(ctx: { app: TestApp; page: Page; state: Record<string, string> }): Promise<void>;
}

export const REGISTRY_SHOTS: RegistryShot[] = [
  {
    file: 'console-dataset.png',
    fullPage: true,
    async take({ app, page, state }) {
      const up = await app.uploadDataset(
        { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
        shapesZip(16, 16),
        'shapes.zip',
      );
      if (up.status !== 201) throw new Error(`upload: ${up.status} ${up.text}`);
      state.dataset = up.body.id as string;
      await page.goto(`${app.url}/datasets/${state.dataset}`);
      await page
        .getByRole('list', { name: 'Examples of class light' })
        .getByRole('img')
        .first()
        .waitFor();
      // Every thumbnail decoded (the bench is compiled without the DOM library: structural type).
      const thumbs = page.locator('.thumb-grid img');
      for (let i = 0; i < 150; i++) {
        const done = await thumbs.evaluateAll((els: unknown[]) =>
          (els as { complete: boolean }[]).every((e) => e.complete),
        );
        if (done) break;
        await page.waitForTimeout(200);
      }
      await page.waitForTimeout(500); // the chart's first render
    },
  },
  {
    file: 'console-model.png',
    fullPage: true,
    async take({ app, page, state }) {
      const job = await app.post('/v1/pretrain', {
        dataset: state.dataset,
        architecture: 'small-cnn',
        name: 'shapes-cnn',
        epochs: 4,
        batchSize: 4,
        learningRate: 0.01,
        seed: 1,
      });
      const done = await app.waitForJob(job.body.id as string, (j) =>
        ['succeeded', 'failed'].includes(j.status),
      );
      if (done.status !== 'succeeded') throw new Error(`pretrain: ${done.error}`);
      await page.goto(`${app.url}/models/${done.result?.modelId as string}`);
      await page
        .getByRole('img', { name: /^Confusion matrix/ })
        .locator('svg')
        .waitFor();
      await page
        .getByRole('img', { name: /^Lineage of/ })
        .locator('svg')
        .waitFor();
      await page.waitForTimeout(500);
    },
  },
];
