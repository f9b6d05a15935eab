import type { Shot } from '../screenshots';

/** The jobs list (a few finished jobs, one failed, one running) and a finished job's page. */
export const JOB_SHOTS: Shot[] = [
  {
    file: 'console-jobs.png',
    async take({ app, page, state }) {
      const submit = async (spec: Record<string, unknown>, maxAttempts?: number) =>
        (await app.post('/v1/jobs', { kind: 'sleep', spec, maxAttempts })).body.id as string;
      state.detailJob = await submit({ steps: 6, stepMs: 150, recordAttempt: true });
      await submit({ steps: 3, stepMs: 50 });
      const failed = await submit({ steps: 4, stepMs: 50, failAtStep: 2 }, 1);
      await app.waitForJob(failed, (j) => j.status === 'failed');
      await app.waitForJob(state.detailJob, (j) => j.status === 'succeeded');
      await app.post('/v1/jobs', { kind: 'noop' });
      await submit({ steps: 600, stepMs: 1000 }); // still running when the picture is taken
      await page.goto(`${app.url}/jobs`);
      await page.getByRole('cell', { name: 'running' }).first().waitFor({ timeout: 60_000 });
    },
  },
  {
    file: 'console-job.png',
    fullPage: true,
    async take({ app, page, state }) {
      await page.goto(`${app.url}/jobs/${state.detailJob}`);
      await page.getByTestId('job-logs').getByText('step 5').waitFor();
      await page.getByRole('img', { name: /metric step/ }).waitFor();
      await page.waitForTimeout(500); // the charts' first render
    },
  },
];
