import type { Shot } from '../screenshots';
import { patternsZip } from './sim-nas';

/**
 * A federation's page: three sites of noisy stripes (each its own draw), esp-clr with period 1
 * over 6 epochs, so the chart has rounds to show.
 */
export const FEDERATION_SHOTS: Shot[] = [
  {
    file: 'console-federation.png',
    fullPage: true,
    async take({ app, page }) {
      for (const site of [0, 1, 2]) {
        const res = await app.uploadDataset(
          { name: `stripes-dc${site}`, split: '0.6,0.2,0.2', seed: String(site) },
          patternsZip(16, 100 + site),
          `stripes-dc${site}.zip`,
        );
        if (res.status !== 201) throw new Error(res.text);
      }
      const created = await app
        .post('/v1/federations', {
          architecture: 'small-cnn',
          width: 8,
          epochs: 6,
          period: 1,
          learningRate: 0.01,
          minLr: 0.0002,
          optimizer: 'adam',
          batchSize: 8,
          sites: [0, 1, 2].map((i) => ({ name: `dc-${i}`, dataset: `stripes-dc${i}` })),
        })
        .expect(202);
      const id = created.body.id as string;
      await app.waitForJob(id, (j) => j.status === 'succeeded');
      await page.goto(`${app.url}/federations/${id}`);
      await page
        .getByTestId('federation-rounds')
        .locator('svg path')
        .first()
        .waitFor({ state: 'attached', timeout: 60_000 });
      await page.getByRole('table', { name: 'Rounds' }).waitFor();
      await page.waitForTimeout(500);
    },
  },
];
