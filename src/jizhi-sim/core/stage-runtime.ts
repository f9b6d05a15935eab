import { RandomSource } from './sim-random';
import { CacheModel } from './cache';
import { CompiledStage } from './pipeline';

/**
 * The mutable state of one stage during a run: its FIFO queue (a power-of-two ring buffer of
 * request slots and enqueue times), idle servers, the batch each busy server holds, and the
 * counters the statistics are computed from. Plain typed arrays and fields, because the event
 * loop (simulator.ts) touches them millions of times per second.
 */
export class StageRuntime {
  readonly next: Int32Array;
  readonly maxBatch: number;
  readonly instances: number;
  qReq = new Int32Array(64);
  qEnq = new Float64Array(64);
  qHead = 0;
  qLen = 0;
  readonly idle: Int32Array;
  idleCount: number;
  readonly batchBuf: Int32Array;
  readonly batchLen: Int32Array;
  readonly batchCut: Uint8Array;
  busy = 0;
  timerPending = false;
  qArea = 0;
  busyArea = 0;
  lastT: number;
  visits = 0;
  dropped = 0;
  lookups = 0;
  hits = 0;
  batches = 0;
  cutBatches = 0;
  readonly batchHist: Float64Array;
  waitSum = 0;
  waitCount = 0;
  waited = 0;
  maxQ = 0;
  readonly series: number[] = [];
  readonly joinIdx: number;
  readonly cutThreshold: number;
  readonly cutScale: number;
  readonly cutPenalty: number;
  /** Per-instance speeds of a heterogeneous stage (instance-types.ts), or undefined. */
  readonly speeds: Float64Array | undefined;
  /** Some request class takes its own route after this stage (request-classes.ts). */
  classRouted = false;
  /** Autoscaling (autoscaler.ts): slots not provisioned, instances to retire when done. */
  readonly spare: Int32Array;
  spareCount = 0;
  retiring = 0;
  /** Instances provisioned (idle, busy or retiring), and their integral over the window. */
  provisioned: number;
  provArea = 0;
  provLastT = 0;
  /** Service time started since the autoscaler last looked (s). */
  work = 0;
  lastScaleAt = -Infinity;
  scaleEvents = 0;

  constructor(
    readonly spec: CompiledStage,
    readonly rng: RandomSource,
    readonly cache: CacheModel | undefined,
    joinIdx: number,
    warm: number,
  ) {
    this.next = Int32Array.from(spec.next);
    this.maxBatch = spec.maxBatch;
    this.instances = spec.instances;
    const slots = spec.maxInstances;
    this.idle = new Int32Array(slots);
    for (let i = 0; i < spec.instances; i++) this.idle[i] = spec.instances - 1 - i;
    this.idleCount = spec.instances;
    // Slots beyond the starting instances wait in `spare` until the autoscaler adds them.
    this.spare = new Int32Array(slots);
    for (let i = spec.instances; i < slots; i++) this.spare[this.spareCount++] = i;
    this.provisioned = spec.instances;
    this.batchBuf = new Int32Array(slots * spec.maxBatch);
    this.batchLen = new Int32Array(slots);
    this.batchCut = new Uint8Array(slots);
    this.batchHist = new Float64Array(spec.maxBatch + 1);
    this.joinIdx = joinIdx;
    this.lastT = warm;
    this.cutThreshold = spec.cutoff ? spec.cutoff.queueThreshold : Infinity;
    this.cutScale = spec.cutoff ? spec.cutoff.serviceScale : 1;
    this.cutPenalty = spec.cutoff ? spec.cutoff.accuracyPenalty : 0;
    this.speeds = spec.speeds;
  }

  push(req: number, t: number): void {
    if (this.qLen === this.qReq.length) this.growQueue();
    const i = (this.qHead + this.qLen) & (this.qReq.length - 1);
    this.qReq[i] = req;
    this.qEnq[i] = t;
    this.qLen++;
  }

  private growQueue(): void {
    const n = this.qReq.length;
    const req = new Int32Array(n * 2);
    const enq = new Float64Array(n * 2);
    for (let k = 0; k < this.qLen; k++) {
      req[k] = this.qReq[(this.qHead + k) & (n - 1)];
      enq[k] = this.qEnq[(this.qHead + k) & (n - 1)];
    }
    this.qReq = req;
    this.qEnq = enq;
    this.qHead = 0;
  }
}
