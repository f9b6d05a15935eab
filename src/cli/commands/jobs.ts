/** `autodl jobs list|show|submit|cancel|retry|logs` (artifacts and dynamics: job-files.ts). */
import { Command } from 'commander';
import { CliError } from '../client';
import { client, globalOptions } from '../command-context';
import { followJob, type Job, type JobEvent } from '../follow-job';
import { printJson, printTable } from '../output';
import { registerJobFileCommands } from './job-files';

export function registerJobCommands(program: Command): void {
  const jobs = program.command('jobs').description('list, inspect, submit and control jobs');
  registerJobFileCommands(jobs);

  jobs
    .command('list')
    .description('list jobs, newest first')
    .option('--kind <kind>', 'only this job kind')
    .option('--status <status>', 'queued | running | succeeded | failed | cancelled')
    .option('--parent <job>', "only the child jobs of this job (a study's or NAS run's trials)")
    .option('--top-level', 'only jobs without a parent (no trials of studies and searches)')
    .option('--limit <n>', 'at most this many', '20')
    .action(
      async (
        o: { kind?: string; status?: string; parent?: string; topLevel?: boolean; limit: string },
        cmd: Command,
      ) => {
        const q = new URLSearchParams({
          limit: o.limit,
          ...(o.kind ? { kind: o.kind } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.parent ? { parent: o.parent } : {}),
          ...(o.topLevel ? { topLevel: 'true' } : {}),
        });
        const page = await client(cmd).get<{ items: Job[]; total: number }>(`/v1/jobs?${q}`);
        if (globalOptions(cmd).json) return printJson(page);
        printTable(
          page.items.map((j) => ({ ...j, progress: `${Math.round(j.progress * 100)}%` })),
          ['id', 'kind', 'status', 'progress', 'attempts', 'createdAt'],
        );
      },
    );

  jobs
    .command('show <id>')
    .description('one job with its status, progress and result')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const job = await client(cmd).get<Job>(`/v1/jobs/${id}`);
      printJson(job);
    });

  jobs
    .command('submit')
    .description('queue a job of any kind')
    .requiredOption('--kind <kind>', 'job kind, e.g. sleep')
    .option('--spec <json>', "the kind's parameters as JSON", '{}')
    .option('--wait', 'follow the job until it finishes')
    .action(async (o: { kind: string; spec: string; wait?: boolean }, cmd: Command) => {
      let spec: unknown;
      try {
        spec = JSON.parse(o.spec);
      } catch {
        throw new CliError(`--spec is not valid JSON: ${o.spec}`);
      }
      const api = client(cmd);
      let job = await api.post<Job>('/v1/jobs', { kind: o.kind, spec });
      if (o.wait)
        job = await followJob(api, job.id, {
          progress: !globalOptions(cmd).json,
          printLogs: false,
        });
      if (globalOptions(cmd).json) printJson(job);
      else process.stdout.write(`${job.id} ${job.status}\n`);
      if (o.wait && job.status !== 'succeeded') process.exitCode = 1;
    });

  jobs
    .command('cancel <id>')
    .description('cancel a queued or running job')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const job = await client(cmd).post<Job>(`/v1/jobs/${id}/cancel`);
      if (globalOptions(cmd).json) printJson(job);
      else
        process.stdout.write(
          `${job.id} ${job.status}${job.status === 'running' ? ' (cancel requested)' : ''}\n`,
        );
    });

  jobs
    .command('retry <id>')
    .description('run a failed or cancelled job again')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const job = await client(cmd).post<Job>(`/v1/jobs/${id}/retry`);
      if (globalOptions(cmd).json) printJson(job);
      else process.stdout.write(`${job.id} ${job.status}\n`);
    });

  jobs
    .command('logs <id>')
    .description("print a job's log and status events")
    .option('-f, --follow', 'keep printing until the job finishes, with a progress bar')
    .action(async (id: string, o: { follow?: boolean }, cmd: Command) => {
      const api = client(cmd);
      if (o.follow) {
        const job = await followJob(api, id, {
          progress: !globalOptions(cmd).json,
          printLogs: true,
        });
        process.stderr.write(`${job.status}${job.error ? `: ${job.error}` : ''}\n`);
        if (job.status !== 'succeeded') process.exitCode = 1;
        return;
      }
      const events = await api.get<JobEvent[]>(`/v1/jobs/${id}/events?limit=1000`);
      if (globalOptions(cmd).json) return printJson(events);
      for (const e of events) process.stdout.write(`${e.time} ${e.level.padEnd(5)} ${e.message}\n`);
    });
}
