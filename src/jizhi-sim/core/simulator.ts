// Over 400 lines on purpose: the event loop keeps its per-request state in typed arrays on one
// class, so the hot per-event methods index them directly (stage runtime and results are apart).
import { Rng } from '../../platform/core/rng';
import { CacheModel } from './cache';
import { EventQueue } from './event-queue';
import { LatencySketch } from './latency-sketch';
import { AutoscalePolicy } from './autoscaler';
import { DeadlineModel } from './deadline';
import { NetworkDelay } from './network-delay';
import { takeIdle } from './instance-types';
import { ClassStats, CompiledClasses, drawClass } from './request-classes';
import { StageRoute, pickRoute } from './routing';
import { SimRandom } from './sim-random';
import { CompiledPipeline, StageLoad } from './pipeline';
import { SimulationResult, simulationResult } from './simulation-result';
import { StageRuntime } from './stage-runtime';
import { TrafficModel } from './traffic/traffic-model';

const EV_DONE = 1;
const EV_TIMER = 2;
const EV_HIT = 3;
const EV_SAMPLE = 4;
const EV_HOP = 5;
const EV_SCALE = 6;
// Tie-break at equal times: completions free servers before new work arrives.
const P_DONE = 0;
const P_HIT = 1;
const P_HOP = 1;
const P_TIMER = 2;
const P_ARRIVAL = 3;
const P_SAMPLE = 4;
const P_SCALE = 4;

const F_DROPPED = 1;
const F_IN_WINDOW = 2;

/**
 * Discrete-event simulation of one pipeline under one traffic model. Requests enter every source
 * stage, fork to every `next` stage, and a stage with several upstream stages starts a request
 * once all its branches arrived (AND join); a request is done when every sink finished it.
 * A dropped request (full queue or timeout) is marked and still walks the DAG without service, so
 * its bookkeeping closes; branches already queued elsewhere are still served (wasted work, as in
 * real fan-out systems).
 *
 * Stages are M/G/c-style servers with a dynamic batcher in the style of Triton's: a free server
 * takes up to maxSize queued requests as soon as it has a full batch or the oldest request has
 * waited maxDelay. Queue timeouts are checked when a server looks for work (lazily).
 *
 * Use `advance(n)` in chunks for progress and cancellation, or `run()`.
 */
export class Simulation {
  private readonly q = new EventQueue(4096);
  private readonly stages: StageRuntime[];
  private readonly sources: Int32Array;
  private readonly nJoin: number;
  private readonly traffic: TrafficModel;
  private readonly trafficRng: SimRandom;
  private readonly warm: number;
  private readonly end: number;
  private readonly maxEvents: number;
  private readonly sampleDt: number;
  private readonly samplePoints: number;
  private readonly sampleTimes: number[] = [];
  private now = 0;
  /**
   * Time of the next arrival, kept beside the heap rather than in it: there is always exactly one
   * pending arrival, so merging it with the heap's top by (time, priority) orders events exactly
   * as pushing it would, and saves a push and a pop per request.
   */
  private nextArrival = Infinity;
  private events = 0;
  private finished = false;
  private truncated = false;

  private rArr = new Float64Array(1024);
  private rPend = new Int32Array(1024);
  private rFlag = new Uint8Array(1024);
  private rPen = new Float64Array(1024);
  /** Class of each request (request-classes.ts; 0 without classes). */
  private rClass = new Uint8Array(1024);
  /** Absolute deadline of each request (Infinity without one). */
  private rDue = new Float64Array(1024);
  private rJoin: Int32Array;
  private free = new Int32Array(1024);
  private freeCount = 0;
  private used = 0;

  private nSys = 0;
  private sysArea = 0;
  private sysLastT: number;
  private arrivedInWin = 0;
  private completedInWin = 0;
  private droppedInWin = 0;
  private sojournSum = 0;
  private penaltySum = 0;
  private readonly lat = new LatencySketch();
  /**
   * Latencies waiting to enter the sketch. Buffered because a double passed to a call V8 does
   * not inline is boxed on the heap: one flush per 4096 requests instead of an allocation each.
   */
  private readonly latBuf = new Float64Array(4096);
  private latBufN = 0;

  constructor(
    readonly pipeline: CompiledPipeline,
    traffic: TrafficModel,
    readonly loads: StageLoad[],
    readonly seed: number,
    opts: { durationS: number; warmupS: number; maxEvents: number; samplePoints: number },
  ) {
    const rng = new Rng(seed);
    this.trafficRng = new SimRandom(rng.fork('traffic'));
    this.traffic = traffic;
    this.warm = opts.warmupS;
    this.end = opts.durationS;
    this.maxEvents = opts.maxEvents;
    this.samplePoints = opts.samplePoints;
    this.sampleDt = opts.durationS / opts.samplePoints;
    let nJoin = 0;
    this.stages = pipeline.stages.map((s, i) => {
      const join = s.predecessors > 1 ? nJoin++ : -1;
      return new StageRuntime(
        s,
        new SimRandom(rng.fork(`service:${i}`)),
        s.makeCache?.(),
        join,
        this.warm,
      );
    });
    // Caches draw from their own streams so that adding a cache does not shift service draws.
    this.cacheRngs = pipeline.stages.map((_, i) => new SimRandom(rng.fork(`cache:${i}`)));
    // Routing draws get their own streams too (forked last, so that pipelines without routes
    // draw exactly as before).
    this.routeRngs = pipeline.stages.map((s, i) =>
      s.route || pipeline.classes?.routedStages.has(i)
        ? new SimRandom(rng.fork(`route:${i}`))
        : undefined,
    );
    for (const i of pipeline.classes?.routedStages ?? []) this.stages[i].classRouted = true;
    this.hopRngs = pipeline.stages.map((s, i) =>
      s.hop ? new SimRandom(rng.fork(`hop:${i}`)) : undefined,
    );
    this.deadline = pipeline.deadline;
    this.deadlineRng = new SimRandom(rng.fork('deadline'));
    this.classStats = pipeline.classes && new ClassStats(pipeline.classes);
    this.classRng = new SimRandom(rng.fork('class'));
    this.nJoin = nJoin;
    this.rJoin = new Int32Array(1024 * Math.max(nJoin, 1));
    this.sources = Int32Array.from(
      pipeline.stages.map((s, i) => (s.predecessors === 0 ? i : -1)).filter((i) => i >= 0),
    );
    this.sysLastT = this.warm;
    const first = this.traffic.next(0, this.trafficRng);
    this.nextArrival = first < this.end ? first : Infinity;
    if (this.samplePoints > 0) this.q.push(0, P_SAMPLE, EV_SAMPLE, 0, 0);
    this.stages.forEach((st, i) => {
      st.provLastT = this.warm;
      const a = st.spec.autoscale;
      if (a && a.intervalS < this.end) this.q.push(a.intervalS, P_SCALE, EV_SCALE, i, 0);
    });
  }

  private readonly cacheRngs: SimRandom[];
  private readonly routeRngs: (SimRandom | undefined)[];
  private readonly hopRngs: (SimRandom | undefined)[];
  private readonly deadline: DeadlineModel | undefined;
  private readonly deadlineRng: SimRandom;
  private readonly classStats: ClassStats | undefined;
  private readonly classRng: SimRandom;

  /** Simulated time reached, as a fraction of durationS (the drain after it is short). */
  get progress(): number {
    return this.finished ? 1 : Math.min(this.now / this.end, 0.999);
  }

  get done(): boolean {
    return this.finished;
  }

  /** Process up to `budget` events; returns true when the run is over. */
  advance(budget: number): boolean {
    const q = this.q;
    const stop = Math.min(this.events + budget, this.maxEvents);
    while (this.events < stop) {
      const tArr = this.nextArrival;
      const tTop = q.topTime;
      if (tArr < tTop || (tArr === tTop && tArr !== Infinity && P_ARRIVAL < q.topPriority)) {
        this.events++;
        this.now = tArr;
        this.onArrival();
        continue;
      }
      if (!q.pop()) {
        this.finished = true;
        return true;
      }
      this.events++;
      this.now = q.now;
      switch (q.kind) {
        case EV_DONE:
          this.onDone(q.a, q.b);
          break;
        case EV_TIMER:
          this.stages[q.a].timerPending = false;
          this.tryDispatch(q.a);
          break;
        case EV_HIT:
          this.afterHit(q.a, q.b);
          break;
        case EV_SAMPLE:
          this.onSample();
          break;
        case EV_SCALE:
          this.onScale(q.a);
          break;
        case EV_HOP:
          if (q.a >= 0) this.arriveAt(q.a, q.b);
          else this.endBranch(q.b);
          break;
      }
    }
    if (this.events >= this.maxEvents) {
      this.truncated = true;
      this.finished = true;
      return true;
    }
    return false;
  }

  run(): SimulationResult {
    while (!this.advance(1 << 20));
    return this.result();
  }

  private accStage(st: StageRuntime): void {
    const now = this.now;
    const t = now < this.warm ? this.warm : now > this.end ? this.end : now;
    const dt = t - st.lastT;
    if (dt > 0) {
      st.qArea += st.qLen * dt;
      st.busyArea += st.busy * dt;
    }
    st.lastT = t;
  }

  private accSys(): void {
    const now = this.now;
    const t = now < this.warm ? this.warm : now > this.end ? this.end : now;
    const dt = t - this.sysLastT;
    if (dt > 0) this.sysArea += this.nSys * dt;
    this.sysLastT = t;
  }

  private onArrival(): void {
    const t = this.now;
    const req = this.alloc();
    this.rArr[req] = t;
    // Live branches of the request: one per source; forks add, sinks, exits and joins remove.
    this.rPend[req] = this.sources.length;
    this.rPen[req] = 0;
    if (this.classStats !== undefined)
      this.rClass[req] = drawClass(this.classStats.classes, this.classRng);
    this.rDue[req] =
      this.deadline === undefined ? Infinity : t + this.deadline.draw(this.deadlineRng);
    const inWin = t >= this.warm && t < this.end;
    this.rFlag[req] = inWin ? F_IN_WINDOW : 0;
    if (inWin) this.arrivedInWin++;
    this.accSys();
    this.nSys++;
    const src = this.sources;
    for (let i = 0; i < src.length; i++) this.arriveAt(src[i], req);
    const next = this.traffic.next(t, this.trafficRng);
    this.nextArrival = next < this.end ? next : Infinity;
  }

  // The per-request paths are kept small, with the rarer branches (joins, caches, timeouts) in
  // methods of their own: V8 inlines by bytecode size, and an event loop that fits its inlining
  // budget ran ~20% faster on M/M/c.
  private arriveAt(s: number, req: number): void {
    const st = this.stages[s];
    if (st.joinIdx >= 0 && !this.joinComplete(st, req)) {
      this.rPend[req]--; // this branch merges into the one the join waits for
      return;
    }
    const flag = this.rFlag[req];
    if (flag & F_DROPPED) {
      this.leave(s, req);
      return;
    }
    const inWin = (flag & F_IN_WINDOW) !== 0;
    if (inWin) st.visits++;
    if (st.cache !== undefined && this.cacheHit(s, st, req, inWin)) return;
    this.accStage(st);
    st.push(req, this.now);
    this.tryDispatch(s);
    if (st.qLen > st.spec.queueCapacity) {
      // M/G/c/K semantics: the newcomer (at the tail) finds the waiting room full.
      st.qLen--;
      this.drop(st, req);
      this.leave(s, req);
    } else if (st.qLen > st.maxQ) st.maxQ = st.qLen;
  }

  /** AND join: true when the last of the stage's upstream branches delivered the request. */
  private joinComplete(st: StageRuntime, req: number): boolean {
    const k = req * this.nJoin + st.joinIdx;
    if (++this.rJoin[k] < st.spec.predecessors) return false;
    this.rJoin[k] = 0;
    return true;
  }

  /** Looks the request up in the stage's cache; a hit skips the stage (after hitLatencyS). */
  private cacheHit(s: number, st: StageRuntime, req: number, inWin: boolean): boolean {
    if (inWin) st.lookups++;
    if (!(st.cache as CacheModel).lookup(this.cacheRngs[s])) return false;
    if (inWin) st.hits++;
    if (st.spec.hitLatencyS > 0) this.q.push(this.now + st.spec.hitLatencyS, P_HIT, EV_HIT, s, req);
    else this.afterHit(s, req);
    return true;
  }

  /** A hit goes on downstream, or with `onHit: exit` ends its branch (routing.ts). */
  private afterHit(s: number, req: number): void {
    if (this.stages[s].spec.exitOnHit) this.endBranch(req);
    else this.leave(s, req);
  }

  private drop(st: StageRuntime, req: number): void {
    this.rFlag[req] |= F_DROPPED;
    if (this.rFlag[req] & F_IN_WINDOW) st.dropped++;
  }

  private tryDispatch(s: number): void {
    const st = this.stages[s];
    const timeout = st.spec.timeoutS;
    while (st.idleCount > 0 && st.qLen > 0) {
      if (timeout !== Infinity || this.deadline !== undefined) {
        this.dropTimedOut(s, st, timeout);
        if (st.qLen === 0) break;
      }
      const due = st.qEnq[st.qHead] + st.spec.maxDelayS;
      if (st.qLen < st.maxBatch && this.now < due) {
        if (!st.timerPending) {
          st.timerPending = true;
          this.q.push(due, P_TIMER, EV_TIMER, s, 0);
        }
        return;
      }
      this.dispatch(s, st);
    }
  }

  /** Drops the requests at the head of the queue that waited too long or are past their deadline. */
  private dropTimedOut(s: number, st: StageRuntime, timeout: number): void {
    const now = this.now;
    while (
      st.qLen > 0 &&
      (now - st.qEnq[st.qHead] > timeout || now > this.rDue[st.qReq[st.qHead]])
    ) {
      this.accStage(st);
      const req = st.qReq[st.qHead];
      st.qHead = (st.qHead + 1) & (st.qReq.length - 1);
      st.qLen--;
      this.drop(st, req);
      this.leave(s, req);
    }
  }

  private dispatch(s: number, st: StageRuntime): void {
    this.accStage(st);
    const cut = st.qLen > st.cutThreshold;
    const b = st.qLen < st.maxBatch ? st.qLen : st.maxBatch;
    const inst =
      st.speeds === undefined
        ? st.idle[--st.idleCount]
        : takeIdle(st.idle, st.idleCount--, st.speeds, st.spec.dispatch, st.rng);
    const base = inst * st.maxBatch;
    const mask = st.qReq.length - 1;
    const now = this.now;
    for (let i = 0; i < b; i++) {
      const h = st.qHead;
      const req = st.qReq[h];
      st.batchBuf[base + i] = req;
      // Only the head is checked for its deadline (dropTimedOut): a late request behind it
      // rides in the batch. Exact for unbatched stages; a documented limitation for batches.
      if (this.rFlag[req] & F_IN_WINDOW) {
        const w = now - st.qEnq[h];
        st.waitSum += w;
        st.waitCount++;
        if (w > 0) st.waited++;
      }
      st.qHead = (h + 1) & mask;
    }
    st.qLen -= b;
    st.batchLen[inst] = b;
    st.batchCut[inst] = cut ? 1 : 0;
    st.busy++;
    if (now >= this.warm && now < this.end) {
      st.batchHist[b]++;
      st.batches++;
      if (cut) st.cutBatches++;
    }
    let svc = st.spec.service.sample(b, st.rng);
    if (cut) svc *= st.cutScale;
    if (st.speeds !== undefined) svc /= st.speeds[inst];
    st.work += svc;
    if (this.classStats !== undefined) svc *= this.batchClassScale(s, base, b);
    this.q.push(now + svc, P_DONE, EV_DONE, s, inst);
  }

  /** A batch of mixed classes takes its slowest member's service-time factor. */
  private batchClassScale(s: number, base: number, b: number): number {
    const scale = (this.classStats as ClassStats).classes.scale[s];
    let f = 0;
    for (let i = 0; i < b; i++) {
      const x = scale[this.rClass[this.stages[s].batchBuf[base + i]]];
      if (x > f) f = x;
    }
    return f;
  }

  private onDone(s: number, inst: number): void {
    const st = this.stages[s];
    this.accStage(st);
    st.busy--;
    if (st.retiring > 0) this.retire(st, inst);
    else st.idle[st.idleCount++] = inst;
    const b = st.batchLen[inst];
    const base = inst * st.maxBatch;
    const pen = st.batchCut[inst] ? st.cutPenalty : 0;
    for (let i = 0; i < b; i++) {
      const req = st.batchBuf[base + i];
      if (pen > 0) this.rPen[req] += pen;
      this.leave(s, req);
    }
    this.tryDispatch(s);
  }

  private leave(s: number, req: number): void {
    const st = this.stages[s];
    if (st.spec.hop !== undefined) {
      this.hop(s, st, req);
      return;
    }
    const route = st.classRouted ? this.routeOf(s, req) : st.spec.route;
    if (route !== undefined) {
      this.arriveAt(pickRoute(route, (this.routeRngs[s] as SimRandom).float()), req);
      return;
    }
    const nx = st.next;
    if (nx.length === 0) {
      this.endBranch(req);
      return;
    }
    // Count the new branches before walking them: a dropped request may finish them at once.
    this.rPend[req] += nx.length - 1;
    for (let i = 0; i < nx.length; i++) this.arriveAt(nx[i], req);
  }

  /** leave() across a network hop: each next stage (or the client) is reached after a delay. */
  private hop(s: number, st: StageRuntime, req: number): void {
    const delay = st.spec.hop as NetworkDelay;
    const rng = this.hopRngs[s] as SimRandom;
    const route = st.classRouted ? this.routeOf(s, req) : st.spec.route;
    if (route !== undefined) {
      const to = pickRoute(route, (this.routeRngs[s] as SimRandom).float());
      this.q.push(this.now + delay.draw(rng), P_HOP, EV_HOP, to, req);
      return;
    }
    const nx = st.next;
    if (nx.length === 0) {
      this.q.push(this.now + delay.draw(rng), P_HOP, EV_HOP, -1, req);
      return;
    }
    this.rPend[req] += nx.length - 1;
    for (let i = 0; i < nx.length; i++)
      this.q.push(this.now + delay.draw(rng), P_HOP, EV_HOP, nx[i], req);
  }

  /** The route after stage s for this request: its class's own, else the stage's. */
  private routeOf(s: number, req: number): StageRoute | undefined {
    const classes = this.pipeline.classes as CompiledClasses;
    return classes.routes[this.rClass[req]][s] ?? this.stages[s].spec.route;
  }

  /**
   * The autoscaler's look (autoscaler.ts): utilisation of the last interval, then scale out
   * (retiring instances are kept first, then spare slots join the idle set) or in (idle
   * instances go first; busy ones retire when their batch is done).
   */
  private onScale(s: number): void {
    const st = this.stages[s];
    const policy = st.spec.autoscale as AutoscalePolicy;
    const active = st.provisioned - st.retiring;
    const utilisation = st.work / (active * policy.intervalS);
    st.work = 0;
    const want = policy.desired(active, utilisation, this.now, st.lastScaleAt);
    if (want !== active) {
      this.accProvisioned(st);
      st.lastScaleAt = this.now;
      st.scaleEvents++;
      let change = want - active;
      while (change > 0 && st.retiring > 0) {
        st.retiring--;
        change--;
      }
      for (; change > 0; change--) {
        st.idle[st.idleCount++] = st.spare[--st.spareCount];
        st.provisioned++;
      }
      for (; change < 0 && st.idleCount > 0; change++) {
        st.spare[st.spareCount++] = st.idle[--st.idleCount];
        st.provisioned--;
      }
      st.retiring -= change; // what is left to remove is busy: it retires when done
      this.tryDispatch(s);
    }
    const next = this.now + policy.intervalS;
    if (next < this.end) this.q.push(next, P_SCALE, EV_SCALE, s, 0);
  }

  private retire(st: StageRuntime, inst: number): void {
    this.accProvisioned(st);
    st.retiring--;
    st.provisioned--;
    st.spare[st.spareCount++] = inst;
  }

  /** Instance-seconds provisioned over the window, for the mean count and the cost. */
  private accProvisioned(st: StageRuntime): void {
    const now = this.now;
    const t = now < this.warm ? this.warm : now > this.end ? this.end : now;
    if (t > st.provLastT) st.provArea += st.provisioned * (t - st.provLastT);
    st.provLastT = t;
  }

  private endBranch(req: number): void {
    if (--this.rPend[req] === 0) this.complete(req);
  }

  private complete(req: number): void {
    this.accSys();
    this.nSys--;
    const flag = this.rFlag[req];
    if (flag & F_IN_WINDOW) {
      const sojourn = this.now - this.rArr[req];
      this.sojournSum += sojourn;
      const cs = this.classStats;
      if (flag & F_DROPPED) {
        this.droppedInWin++;
        if (cs !== undefined) cs.dropped[this.rClass[req]]++;
      } else {
        this.completedInWin++;
        this.penaltySum += this.rPen[req];
        this.latBuf[this.latBufN++] = sojourn;
        if (this.latBufN === 4096) this.flushLatencies();
        if (cs !== undefined) {
          cs.completed[this.rClass[req]]++;
          cs.latencies[this.rClass[req]].add(sojourn);
        }
      }
    }
    this.free[this.freeCount++] = req;
  }

  private alloc(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount];
    if (this.used === this.rArr.length) this.growRequests();
    return this.used++;
  }

  private growRequests(): void {
    const n = this.rArr.length * 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(
      a: T,
      make: (n: number) => T,
      size: number,
    ): T => {
      const g = make(size);
      g.set(a);
      return g;
    };
    this.rArr = grow(this.rArr, (k) => new Float64Array(k), n);
    this.rPend = grow(this.rPend, (k) => new Int32Array(k), n);
    this.rFlag = grow(this.rFlag, (k) => new Uint8Array(k), n);
    this.rPen = grow(this.rPen, (k) => new Float64Array(k), n);
    this.rDue = grow(this.rDue, (k) => new Float64Array(k), n);
    this.rClass = grow(this.rClass, (k) => new Uint8Array(k), n);
    this.rJoin = grow(this.rJoin, (k) => new Int32Array(k), n * Math.max(this.nJoin, 1));
    this.free = grow(this.free, (k) => new Int32Array(k), n);
  }

  private onSample(): void {
    this.sampleTimes.push(this.now);
    for (const st of this.stages) st.series.push(st.qLen);
    const k = this.sampleTimes.length;
    if (k < this.samplePoints) this.q.push(k * this.sampleDt, P_SAMPLE, EV_SAMPLE, 0, 0);
  }

  private flushLatencies(): void {
    this.lat.addAll(this.latBuf, this.latBufN);
    this.latBufN = 0;
  }

  /** Latencies (s) of the requests completed so far, to pool several runs (merge). */
  latencySketch(): LatencySketch {
    this.flushLatencies();
    return this.lat;
  }

  /** Statistics of the run so far (a finished run: the whole window). */
  result(): SimulationResult {
    this.flushLatencies();
    for (const st of this.stages) {
      this.accStage(st);
      this.accProvisioned(st);
    }
    this.accSys();
    return simulationResult(
      {
        pipeline: this.pipeline.name,
        seed: this.seed,
        window: { startS: this.warm, endS: this.end },
        inSystemArea: this.sysArea,
        arrived: this.arrivedInWin,
        completed: this.completedInWin,
        dropped: this.droppedInWin,
        sojournSum: this.sojournSum,
        penaltySum: this.penaltySum,
        latencies: this.lat,
        classes: this.classStats?.summary(),
        sampleTimes: this.sampleTimes,
        events: this.events,
        truncated: this.truncated,
      },
      this.stages,
      this.loads,
    );
  }
}
