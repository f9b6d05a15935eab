import type { Shot } from '../screenshots';

/**
 * A study's page: 80 ask/tell trials of TPE on a Branin-like problem over the API (the shot is of
 * a real study, not made-up rows), learning curves reported for every trial and the median
 * pruner stopping the poor ones, so every plot has something to show.
 */
export const STUDY_SHOTS: Shot[] = [
  {
    file: 'console-study.png',
    fullPage: true,
    async take({ app, page, state }) {
      const created = await app
        .post('/v1/studies', {
          name: 'branin-tpe',
          space: {
            x: { type: 'float', low: -5, high: 10 },
            y: { type: 'float', low: 0, high: 15 },
            lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
            optimizer: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
          },
          direction: 'minimize',
          metrics: ['loss'],
          sampler: { name: 'tpe', settings: { seed: 7, nStartupTrials: 10 } },
          pruner: { name: 'median', settings: { nStartupTrials: 10, nWarmupSteps: 2 } },
        })
        .expect(202);
      const id = created.body.id as string;
      state.study = id;
      for (let i = 0; i < 80; i++) {
        const asked = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body;
        const { x, y, lr, optimizer } = asked.params as Record<string, number & string>;
        const branin =
          (y - (5.1 / (4 * Math.PI ** 2)) * x ** 2 + (5 / Math.PI) * x - 6) ** 2 +
          10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) +
          10;
        const loss = branin + 2 * (Math.log10(lr) + 2.5) ** 2 + (optimizer === 'sgd' ? 3 : 0);
        let pruned = false;
        for (let step = 0; step < 6 && !pruned; step++) {
          const value = loss * (1 + 2 / (step + 1));
          pruned = (
            await app.post(`/v1/studies/${id}/trials/${asked.number}/report`, { step, value })
          ).body.shouldPrune as boolean;
        }
        await app
          .post(
            `/v1/studies/${id}/trials/${asked.number}/tell`,
            pruned ? { state: 'pruned' } : { value: loss },
          )
          .expect(200);
      }
      await page.goto(`${app.url}/studies/${id}`);
      await page.waitForSelector('[data-testid="history-chart"][data-rendered="true"]');
      // Every plot below the fold drawn (the page renders them once the history is).
      await page.waitForFunction(
        `document.querySelectorAll('figure.chart > div').length > 5 &&
         document.querySelectorAll('figure.chart > div:not([data-rendered])').length === 0`,
        undefined,
        { timeout: 60_000 },
      );
      await page.waitForTimeout(500);
    },
  },
];
