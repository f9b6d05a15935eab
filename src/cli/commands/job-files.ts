import { Command } from 'commander';
import { CliError } from '../client';
import { downloadFiles } from '../download';
import { printJson, printTable } from '../output';
import { client, globalOptions } from '../command-context';

interface Artifact {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
}

interface Dynamics {
  jobId: string;
  dataset: string | null;
  split: string | null;
  method: string;
  methodDescription: string;
  samples: number;
  epochs: number;
  suspects: {
    id: string;
    rank: number;
    score: number;
    aum: number;
    forgettingEvents: number;
    neverLearned: boolean;
    meanLoss: number;
  }[];
}

/** An artifact name (may hold `/`) as a URL path, each segment encoded. */
function artifactPath(jobId: string, name: string): string {
  return `/v1/jobs/${encodeURIComponent(jobId)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** `jobs artifacts list|download` and `jobs dynamics`, attached to the `jobs` command. */
export function registerJobFileCommands(jobs: Command): void {
  const artifacts = jobs.command('artifacts').description("a job's artifacts");
  artifacts
    .command('list <job>')
    .description("list a job's artifacts")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const list = await client(cmd).get<Artifact[]>(
        `/v1/jobs/${encodeURIComponent(id)}/artifacts`,
      );
      if (globalOptions(cmd).json) return printJson(list);
      printTable(
        list.map((a) => ({ ...a })),
        ['name', 'size', 'contentType', 'sha256'],
      );
    });
  artifacts
    .command('download <job> [name]')
    .description('download one artifact of a job, or all of them, into a folder')
    .requiredOption('-o, --out <dir>', 'the folder to write into (created if missing)')
    .action(async (id: string, name: string | undefined, o: { out: string }, cmd: Command) => {
      const api = client(cmd);
      const json = globalOptions(cmd).json;
      const list = await api.get<Artifact[]>(`/v1/jobs/${encodeURIComponent(id)}/artifacts`);
      const chosen = name === undefined ? list : list.filter((a) => a.name === name);
      if (chosen.length === 0) {
        throw new CliError(
          name === undefined
            ? `job ${id} has no artifacts`
            : `job ${id} has no artifact ${name}; it has ${list.map((a) => a.name).join(', ') || 'none'}`,
        );
      }
      const written = await downloadFiles(
        api,
        chosen.map((a) => ({ name: a.name, size: a.size, url: artifactPath(id, a.name) })),
        o.out,
        !json,
      );
      if (json) return printJson(written);
      for (const w of written) process.stdout.write(`${w.file}  ${w.bytes} bytes\n`);
    });

  jobs
    .command('dynamics <job>')
    .description(
      'suspected mislabelled training samples of a finetune job run with --record-dynamics',
    )
    .option('--method <method>', 'aum | forgetting | loss | combined', 'aum')
    .option('--limit <n>', 'at most this many suspects', '20')
    .option('-o, --out <dir>', 'write a PNG thumbnail of each suspect here (image data sets)')
    .action(
      async (id: string, o: { method: string; limit: string; out?: string }, cmd: Command) => {
        const api = client(cmd);
        const json = globalOptions(cmd).json;
        const q = new URLSearchParams({ method: o.method, limit: o.limit });
        const d = await api.get<Dynamics>(`/v1/jobs/${encodeURIComponent(id)}/dynamics?${q}`);
        let thumbnails: string[] = [];
        if (o.out) {
          if (!d.dataset)
            throw new CliError(`job ${id} did not record its data set: no thumbnails`);
          const ds = await api.get<{ kind: string; name: string }>(
            `/v1/datasets/${encodeURIComponent(d.dataset)}`,
          );
          if (ds.kind !== 'image') {
            throw new CliError(`data set ${ds.name} holds ${ds.kind} examples: no thumbnails`);
          }
          const written = await downloadFiles(
            api,
            d.suspects.map((s) => ({
              name: `rank-${String(s.rank).padStart(3, '0')}-sample-${s.id}.png`,
              url: `/v1/datasets/${encodeURIComponent(d.dataset as string)}/examples/${encodeURIComponent(s.id)}`,
            })),
            o.out,
            !json,
          );
          thumbnails = written.map((w) => w.file);
        }
        if (json) return printJson({ ...d, ...(o.out ? { thumbnails } : {}) });
        process.stdout.write(
          `${d.samples} samples over ${d.epochs} epochs; ranked by ${d.method}: ${d.methodDescription}\n`,
        );
        printTable(
          d.suspects.map((s, k) => ({
            ...s,
            sample: s.id,
            ...(thumbnails[k] ? { thumbnail: thumbnails[k] } : {}),
          })),
          [
            'rank',
            'sample',
            'score',
            'aum',
            'forgettingEvents',
            'neverLearned',
            'meanLoss',
            ...(o.out ? ['thumbnail'] : []),
          ],
        );
      },
    );
}
