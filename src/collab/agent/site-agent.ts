/**
 * The remote site agent (`autodl site serve`): runs where the data is, opens only outbound
 * HTTP(S) to the coordinator, pulls its site's work items, trains on its local files with the
 * same code as the local placement (site-training.ts) and posts back only the algorithm's shared
 * state: a few counts and metrics and the weights, of exactly the declared sizes. It never sends
 * an example, a label or a file name: the request bodies are built here and nowhere else.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dataset } from '../../ml/data';
import type { LocalPlan } from '../core/federated-algorithm';
import { decodeWeights, encodeWeights } from '../federation-checkpoint';
import type { RemoteModelTask } from '../remote-placement';
import { SiteTrainer, SiteTrainerError } from '../site-trainer';

interface WorkItem {
  id: string;
  kind: 'train' | 'evaluate';
  round: number;
  attempt: number;
  task: { model: RemoteModelTask; plan?: LocalPlan; seed?: number };
  global: string;
}

export interface SiteAgentOptions {
  coordinator: string;
  key: string;
  /** The site's data: its train and test splits (made locally, never sent). */
  train: Dataset;
  test: Dataset;
  pollMs: number;
  log: (line: string) => void;
  /** Replaceable for tests; the global fetch by default. */
  fetch?: typeof fetch;
}

export class SiteAgentError extends Error {}

export async function serveSite(o: SiteAgentOptions): Promise<{ items: number }> {
  const http = o.fetch ?? fetch;
  const base = o.coordinator.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' };
  const trainer = new SiteTrainer({ train: o.train, test: o.test });
  let items = 0;
  try {
    for (;;) {
      const res = await http(`${base}/v1/site/work`, {
        headers: { authorization: headers.authorization },
      });
      if (res.status === 410) {
        o.log('the federation is over; stopping');
        return { items };
      }
      if (res.status === 204) {
        await sleep(o.pollMs);
        continue;
      }
      if (!res.ok) throw new SiteAgentError(`GET /v1/site/work: ${res.status} ${await res.text()}`);
      const item = (await res.json()) as WorkItem;
      let answer;
      try {
        answer = await trainer.answer({
          ...item,
          global: decodeWeights(Buffer.from(item.global, 'base64'), item.task.model.sizes),
        });
      } catch (error) {
        if (error instanceof SiteTrainerError) throw new SiteAgentError(error.message);
        throw error;
      }
      let route: string;
      let body: Record<string, unknown>;
      if (item.kind === 'train') {
        route = `${base}/v1/site/work/${item.id}/update`;
        body = {
          ...answer.report,
          weights: encodeWeights(answer.weights ?? []).data.toString('base64'),
        };
        o.log(
          `round ${item.round + 1} (attempt ${item.attempt}): trained, loss ${(answer.report.trainLoss ?? Number.NaN).toFixed(4)}`,
        );
      } else {
        route = `${base}/v1/site/work/${item.id}/evaluation`;
        body = { ...answer.report, ...(answer.confusion ? { confusion: answer.confusion } : {}) };
        o.log(`evaluated the global model: accuracy ${(answer.report.accuracy ?? 0).toFixed(4)}`);
      }
      const posted = await http(route, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!posted.ok)
        throw new SiteAgentError(`POST ${route}: ${posted.status} ${await posted.text()}`);
      items++;
    }
  } finally {
    trainer.dispose();
  }
}
