/** How the CLI shows registered models, and the training commands' submit-follow-show. */
import { Command } from 'commander';
import { client, globalOptions } from './command-context';
import { followToSuccess } from './follow-job';
import { printJson } from './output';

/** A model as GET /v1/models/:ref answers. */
export interface Model {
  id: string;
  name: string;
  architecture: string;
  params: number;
  flops: number;
  inputKind: string;
  inputShape: number[];
  classNames: string[];
  featureNames: string[] | null;
  lineage: {
    baseModelId: string | null;
    datasetId: string | null;
    method: string;
    jobId: string | null;
  };
  testAccuracy: number | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export function printModel(m: Model): void {
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`model     ${m.name} (${m.id})`);
  out(`arch      ${m.architecture}: ${m.params} parameters, ${m.flops} FLOPs per example`);
  out(`input     ${m.inputKind} [${m.inputShape.join(', ')}]; classes ${m.classNames.join(', ')}`);
  out(
    `lineage   method ${m.lineage.method}; base ${m.lineage.baseModelId ?? '-'}; data set ${m.lineage.datasetId ?? '-'}; job ${m.lineage.jobId ?? '-'}`,
  );
  if (m.testAccuracy !== null) out(`accuracy  ${m.testAccuracy.toFixed(4)} (test split)`);
}

/** Submits a training job, follows it (progress bar unless --json) and prints the new model. */
export async function trainAndShow(
  cmd: Command,
  route: string,
  body: Record<string, unknown>,
): Promise<void> {
  const api = client(cmd);
  const json = globalOptions(cmd).json;
  const created = await api.post<{ id: string }>(route, body);
  const job = await followToSuccess(api, created.id, json);
  const model = await api.get<Model>(`/v1/models/${String(job.result?.modelId)}`);
  if (json) printJson({ job, model });
  else printModel(model);
}
