/**
 * The remote site agent (`autodl site serve`): runs where the data is, opens only outbound
 * HTTP(S) to the coordinator, pulls its site's work items, trains on its local files with the
 * same code as the local placement (site-training.ts) and posts back only the algorithm's shared
 * state: a few counts and metrics and the weights, of exactly the declared sizes. It never sends
 * an example, a label or a file name: the request bodies are built here and nowhere else.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../ml/data';
import type { OptimizerName } from '../../ml/train/optimizers';
import type { TrainSet } from '../../ml/train/trainer';
import { buildZooModel } from '../../ml/zoo/zoo';
import { datasetTensors, type InputContract } from '../../registry/core/encode';
import type { LocalPlan } from '../core/federated-algorithm';
import { decodeWeights, encodeWeights } from '../federation-checkpoint';
import type { RemoteModelTask } from '../remote-placement';
import { readWeights, siteEvaluation, trainLocally, writeWeights } from '../site-training';

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
  let model: tf.LayersModel | undefined;
  let sets: { train: TrainSet; test?: TrainSet } | undefined;
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
      const spec = item.task.model;
      if (!model) {
        checkFits(o.train, spec);
        const contract: InputContract = {
          inputKind: 'image',
          inputShape: spec.inputShape,
          preprocessing: {},
        };
        const train = datasetTensors(o.train, contract);
        sets = { train, test: o.test.size > 0 ? datasetTensors(o.test, contract) : undefined };
        model = buildZooModel(spec.architecture, {
          inputShape: spec.inputShape,
          numClasses: spec.classNames.length,
          seed: 0,
          width: spec.width ?? undefined,
        });
      }
      writeWeights(model, decodeWeights(Buffer.from(item.global, 'base64'), spec.sizes));
      const numClasses = spec.classNames.length;
      let route: string;
      let body: Record<string, unknown>;
      if (item.kind === 'train') {
        const r = await trainLocally({
          model,
          train: sets!.train,
          plan: item.task.plan as LocalPlan,
          batchSize: spec.batchSize,
          optimizer: spec.optimizer as OptimizerName,
          seed: item.task.seed ?? 0,
        });
        const local = siteEvaluation(model, sets!.test, numClasses);
        route = `${base}/v1/site/work/${item.id}/update`;
        body = {
          samples: o.train.size,
          trainLoss: finite(r.loss),
          trainAccuracy: finite(r.accuracy),
          localAccuracy: finite(local?.accuracy),
          weights: encodeWeights(readWeights(model)).data.toString('base64'),
        };
        o.log(
          `round ${item.round + 1} (attempt ${item.attempt}): trained, loss ${r.loss.toFixed(4)}`,
        );
      } else {
        const e = siteEvaluation(model, sets!.test, numClasses);
        route = `${base}/v1/site/work/${item.id}/evaluation`;
        body = { accuracy: e?.accuracy ?? 0, loss: finite(e?.loss) ?? 0, count: e?.count ?? 0 };
        o.log(`evaluated the global model: accuracy ${(e?.accuracy ?? 0).toFixed(4)}`);
      }
      const posted = await http(route, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!posted.ok)
        throw new SiteAgentError(`POST ${route}: ${posted.status} ${await posted.text()}`);
      items++;
    }
  } finally {
    model?.dispose();
    if (sets)
      tf.dispose([sets.train.x, sets.train.y, ...(sets.test ? [sets.test.x, sets.test.y] : [])]);
  }
}

function finite(v: number | null | undefined): number | null {
  return v !== null && v !== undefined && Number.isFinite(v) && v >= 0 ? v : null;
}

/** The local data must have the federation's classes (same names, same order) and image shape. */
function checkFits(ds: Dataset, spec: RemoteModelTask): void {
  if (ds.inputs.kind !== 'image') throw new SiteAgentError('the site data must be images');
  const { height, width, channels } = ds.inputs.shape;
  if ([height, width, channels].join('x') !== spec.inputShape.join('x'))
    throw new SiteAgentError(
      `the site images are ${height}x${width}x${channels}, the federation takes ${spec.inputShape.join('x')}`,
    );
  if (ds.classNames.join('\u0000') !== spec.classNames.join('\u0000'))
    throw new SiteAgentError(
      `the site classes ${ds.classNames.join(', ')} are not the federation's ${spec.classNames.join(', ')}`,
    );
}
