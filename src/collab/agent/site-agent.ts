/**
 * The remote site agent (`autodl site serve`): runs where the data is, opens only outbound
 * HTTP(S) to the coordinator, pulls its site's work items, trains on its local files with the
 * same code as the local placement (site-training.ts) and posts back only the algorithm's shared
 * state: a few counts and metrics and the weights, of exactly the declared sizes. It never sends
 * an example, a label or a file name: the request bodies are built here and nowhere else.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dataset } from '../../ml/data';
import type { LocalPlan } from '../core/federated-algorithm';
import type { SiteControlState } from '../core/scaffold';
import { decodeWithControl, encodeWeights } from '../federation-checkpoint';
import type { RemoteModelTask } from '../remote-placement';
import { decodeSharedSet, type SharedSetBody } from '../shared-set-codec';
import {
  memoryControlStore,
  SiteTrainer,
  SiteTrainerError,
  type SiteControlStore,
} from '../site-trainer';

interface WorkItem {
  id: string;
  federationId?: string;
  site?: string;
  kind: 'train' | 'evaluate' | 'stats';
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
  /**
   * Where the agent keeps its SCAFFOLD control variate c_i between rounds (one JSON file per
   * federation and site); absent: memory (lost when the agent stops, so a restarted agent
   * restarts c_i at 0). c_i never leaves the site; only c_i+ - c_i is posted.
   */
  stateDir?: string;
  /** Replaceable for tests; the global fetch by default. */
  fetch?: typeof fetch;
}

export class SiteAgentError extends Error {}

export async function serveSite(o: SiteAgentOptions): Promise<{ items: number }> {
  const http = o.fetch ?? fetch;
  const base = o.coordinator.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' };
  let key = 'default';
  const memory = memoryControlStore();
  const store: SiteControlStore = o.stateDir
    ? fileControlStore(o.stateDir, () => key)
    : { load: () => memory.load(), save: (s) => memory.save(s) };
  let trainer = new SiteTrainer({ train: o.train, test: o.test }, () => false, store);
  /** The shared labelled set's data set id once fetched (it is fetched once per federation). */
  let sharedFrom: string | null = null;
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
      key = `${item.federationId ?? 'federation'}-${item.site ?? 'site'}`;
      const shared = item.kind === 'train' ? item.task.model.sharedDataset : null;
      if (shared && shared !== sharedFrom) {
        const route = `${base}/v1/site/work/${item.id}/shared`;
        const res = await http(route, { headers: { authorization: headers.authorization } });
        if (!res.ok) throw new SiteAgentError(`GET ${route}: ${res.status} ${await res.text()}`);
        const text = await res.text();
        const set = decodeSharedSet(JSON.parse(text) as SharedSetBody);
        trainer.dispose();
        trainer = new SiteTrainer(
          { train: o.train, test: o.test, shared: set },
          () => false,
          store,
        );
        sharedFrom = shared;
        o.log(
          `received the federation's shared labelled set: ${set.size} examples (${Buffer.byteLength(text)} bytes); trains on them beside ${o.train.size} of its own`,
        );
      }
      let answer;
      try {
        const state = decodeWithControl(
          Buffer.from(item.global, 'base64'),
          item.task.model.sizes,
          item.kind === 'train' && item.task.plan?.scaffold === true,
        );
        answer = await trainer.answer({
          ...item,
          global: state.weights,
          ...(state.control ? { control: state.control } : {}),
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
          ...(answer.controlDelta
            ? { controlDelta: encodeWeights(answer.controlDelta).data.toString('base64') }
            : {}),
        };
        o.log(
          `round ${item.round + 1} (attempt ${item.attempt}): trained, loss ${(answer.report.trainLoss ?? Number.NaN).toFixed(4)}`,
        );
      } else if (item.kind === 'stats') {
        // CCVR: per-class counts and feature moments of the site's training examples, no row.
        const stats = answer.stats ?? new Float32Array(0);
        const k = item.task.model.classNames.length;
        route = `${base}/v1/site/work/${item.id}/stats`;
        body = {
          counts: Array.from(stats.subarray(0, k)),
          moments: Buffer.from(
            stats.buffer,
            stats.byteOffset + 4 * k,
            stats.byteLength - 4 * k,
          ).toString('base64'),
        };
        o.log(
          `sent per-class feature statistics of ${answer.report.samples ?? 0} training examples (${stats.byteLength} bytes)`,
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

/** c_i in `<dir>/scaffold-<federation>-<site>.json` (float32 base64), written atomically. */
function fileControlStore(dir: string, key: () => string): SiteControlStore {
  const file = () => join(dir, `scaffold-${key().replace(/[^A-Za-z0-9-]/g, '_')}.json`);
  const enc = (w: readonly Float32Array[]) => ({
    sizes: w.map((t) => t.length),
    data: encodeWeights(w).data.toString('base64'),
  });
  const dec = (e: { sizes: number[]; data: string }) =>
    decodeWithControl(Buffer.from(e.data, 'base64'), e.sizes, false).weights;
  return {
    load: async () => {
      let text: string;
      try {
        text = await readFile(file(), 'utf8');
      } catch {
        return null;
      }
      const j = JSON.parse(text) as {
        round: number;
        previous: { sizes: number[]; data: string } | null;
        current: { sizes: number[]; data: string };
      };
      return {
        round: j.round,
        previous: j.previous ? dec(j.previous) : null,
        current: dec(j.current),
      } satisfies SiteControlState;
    },
    save: async (s) => {
      await mkdir(dir, { recursive: true });
      const tmp = `${file()}.tmp`;
      await writeFile(
        tmp,
        JSON.stringify({
          round: s.round,
          previous: s.previous ? enc(s.previous) : null,
          current: enc(s.current),
        }),
      );
      await rename(tmp, file());
    },
  };
}
