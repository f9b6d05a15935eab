import type { Shot } from '../screenshots';

/**
 * The deployment page with traffic: a small CNN deployed, profiled and tuned (short runs), then
 * photographed while a background loop sends predictions, so the live charts have a few samples.
 */
export const DEPLOYMENT_SHOTS: Shot[] = [
  {
    file: 'console-deployment.png',
    fullPage: true,
    async take({ app, page }) {
      await app
        .post('/v1/models', {
          name: 'shot-cnn',
          architecture: 'small-cnn',
          inputShape: [8, 8, 1],
          classNames: ['a', 'b', 'c'],
          seed: 3,
        })
        .expect(201);
      const d = (
        await app
          .post('/v1/deployments', {
            model: 'shot-cnn',
            name: 'shot',
            batch: { maxSize: 8, maxDelayMs: 2 },
          })
          .expect(201)
      ).body as { id: string };
      const profiled = (
        await app
          .post(`/v1/deployments/${d.id}/profile`, {
            batchSizes: [1, 2, 4, 8],
            warmup: 5,
            maxSamples: 200,
            maxSecondsPerSize: 3,
          })
          .expect(202)
      ).body as { id: string };
      await app.waitForJob(profiled.id, (j) => j.status === 'succeeded');
      const profile = (await app.get(`/v1/deployments/${d.id}/profile`).expect(200)).body as {
        capacityPerInstanceRps: number;
        rows: { p99Ms: number }[];
      };
      const tuned = (
        await app
          .post(`/v1/deployments/${d.id}/tune`, {
            traffic: {
              model: 'poisson',
              rateRps: Math.round(profile.capacityPerInstanceRps * 0.8),
            },
            slo: { p99Ms: Math.ceil(profile.rows[3].p99Ms * 3) },
            maxInstances: 3,
            delaysMs: [0, 2, 4],
            durationS: 20,
          })
          .expect(202)
      ).body as { id: string };
      await app.waitForJob(tuned.id, (j) => j.status === 'succeeded');
      let stop = false;
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          const instance = Array(64).fill((i % 10) / 10);
          await Promise.all(
            Array.from({ length: 4 }, () => app.post('/v1/serve/shot/predict', { instance })),
          );
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
      await page.goto(`${app.url}/deployments/${d.id}`);
      await page.getByRole('heading', { name: 'Latest tuning' }).waitFor();
      // Six samples of the live series (2 s apart).
      await new Promise((r) => setTimeout(r, 12_000));
      stop = true;
      await load;
    },
  },
];
