/**
 * RemotePlacement's evaluation phase against an in-memory work table: the sites the round skips
 * (failed train work) get no item, and the others are asked at once, so that absent agents cost
 * the phase one siteTimeoutMs in all (the defect: one each, after the train phase's own).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RemotePlacement, type RemoteModelTask } from './remote-placement';
import type { SiteWorkRepository, WorkItem } from './storage/site-work.repository';

type Posted = Parameters<SiteWorkRepository['post']>[0];

/** Items in memory; `answering` sites answer an evaluate item the first time it is looked at. */
class MemoryWork implements Pick<SiteWorkRepository, 'post' | 'find' | 'expire'> {
  readonly events: string[] = [];
  private readonly items = new Map<string, WorkItem>();

  constructor(private readonly answering: ReadonlySet<string>) {}

  async post(w: Posted): Promise<string> {
    const id = String(this.items.size + 1);
    this.items.set(id, {
      ...w,
      id,
      status: 'pending',
      sharedState: null,
      report: null,
      confusion: null,
    });
    this.events.push(`post ${w.site} ${w.kind}`);
    return id;
  }

  async find(id: string): Promise<WorkItem | null> {
    const w = this.items.get(id);
    if (w && w.status === 'pending' && this.answering.has(w.site)) {
      w.status = 'done';
      w.report = { accuracy: 0.75, loss: 0.5, count: 4 };
    }
    return w ?? null;
  }

  async expire(id: string): Promise<void> {
    const w = this.items.get(id)!;
    if (w.status !== 'done') w.status = 'expired';
    this.events.push(`expire ${w.site}`);
  }
}

const model: RemoteModelTask = {
  architecture: 'small-cnn',
  width: 4,
  inputShape: [8, 8, 1],
  classNames: ['a', 'b'],
  batchSize: 4,
  optimizer: 'adam',
  sizes: [2],
};
const global = [Float32Array.from([0.5, -0.5])];

function placement(work: MemoryWork, siteTimeoutMs: number): RemotePlacement {
  return new RemotePlacement('fed', ['near', 'gone1', 'gone2'], work, model, {
    siteTimeoutMs,
    pollMs: 10,
    cancelled: () => false,
  });
}

describe('RemotePlacement.evaluateGlobal', () => {
  test('a skipped site gets no evaluate item; the others answer or are left out', async () => {
    const work = new MemoryWork(new Set(['near']));
    const evals = await placement(work, 50).evaluateGlobal(global, {
      round: 0,
      attempt: 1,
      skip: ['gone2'],
    });
    assert.deepEqual(evals, [{ site: 'near', accuracy: 0.75, loss: 0.5, count: 4 }]);
    assert.deepEqual(
      work.events.filter((e) => e.startsWith('post')),
      ['post near evaluate', 'post gone1 evaluate'],
    );
    assert.deepEqual(
      work.events.filter((e) => e.startsWith('expire')),
      ['expire gone1'],
    );
  });

  test('two absent sites are waited for at the same time: one timeout for the phase, not two', async () => {
    // 2 s: the 0.6 timeout of room under the bound (1.2 s) outlasts a loaded CI machine's stalls.
    const timeout = 2000;
    const work = new MemoryWork(new Set(['near']));
    const started = performance.now();
    const evals = await placement(work, timeout).evaluateGlobal(global, { round: 0, attempt: 1 });
    const elapsed = performance.now() - started;
    assert.deepEqual(
      evals.map((e) => e.site),
      ['near'],
    );
    // Order, independent of load: every item is posted before the first one expires (one after
    // another, gone1 would expire before gone2 is posted).
    assert.deepEqual(work.events.slice(0, 3).sort(), [
      'post gone1 evaluate',
      'post gone2 evaluate',
      'post near evaluate',
    ]);
    assert.deepEqual(work.events.slice(3).sort(), ['expire gone1', 'expire gone2']);
    // Wall time: about one timeout (serial asking takes at least two), with room for a loaded
    // 2-core machine (and for Date.now's whole milliseconds in the deadline).
    assert.ok(elapsed > 0.9 * timeout && elapsed < 1.6 * timeout, `${elapsed.toFixed(1)} ms`);
  });
});
