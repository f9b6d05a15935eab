/**
 * The simulation kernel's event list: a binary min-heap ordered by (time, priority, sequence
 * number), as in SimPy's `Environment` (heapq of (time, priority, eid, event)). Ties in time break
 * by priority and then by insertion order, so a run is deterministic.
 *
 * Events are plain integers (kind, a, b) kept in parallel typed arrays rather than objects or
 * closures: the hot path of a simulation pushes and pops millions of them and must not allocate.
 */
export class EventQueue {
  private time: Float64Array;
  /** priority * 2^40 + sequence: one comparison orders both. */
  private key: Float64Array;
  private kindArr: Int32Array;
  private aArr: Int32Array;
  private bArr: Int32Array;
  private n = 0;
  private seq = 0;

  /** Fields of the event returned by the last `pop()`. */
  kind = 0;
  a = 0;
  b = 0;
  now = 0;

  constructor(initialCapacity = 1024) {
    this.time = new Float64Array(initialCapacity);
    this.key = new Float64Array(initialCapacity);
    this.kindArr = new Int32Array(initialCapacity);
    this.aArr = new Int32Array(initialCapacity);
    this.bArr = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.n;
  }

  /** Schedule an event. Lower `priority` runs first among events at the same time. */
  push(time: number, priority: number, kind: number, a: number, b: number): void {
    if (this.n === this.time.length) this.grow();
    const key = priority * 1099511627776 + this.seq++;
    // Sift up with a hole: move parents down until the slot for the new event is found. The
    // arrays are read into locals once: the loop is the kernel's hottest code.
    let i = this.n++;
    const t = this.time;
    const k = this.key;
    const kindArr = this.kindArr;
    const aArr = this.aArr;
    const bArr = this.bArr;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = t[p];
      if (tp < time || (tp === time && k[p] < key)) break;
      t[i] = tp;
      k[i] = k[p];
      kindArr[i] = kindArr[p];
      aArr[i] = aArr[p];
      bArr[i] = bArr[p];
      i = p;
    }
    t[i] = time;
    k[i] = key;
    kindArr[i] = kind;
    aArr[i] = a;
    bArr[i] = b;
  }

  /** Time of the earliest event (Infinity when empty), and its priority, without removing it. */
  get topTime(): number {
    return this.n > 0 ? this.time[0] : Infinity;
  }

  get topPriority(): number {
    return this.n > 0 ? Math.floor(this.key[0] / 1099511627776) : Infinity;
  }

  /** Remove the earliest event into (now, kind, a, b). Returns false when the heap is empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const t = this.time;
    const k = this.key;
    const kindArr = this.kindArr;
    const aArr = this.aArr;
    const bArr = this.bArr;
    this.now = t[0];
    this.kind = kindArr[0];
    this.a = aArr[0];
    this.b = bArr[0];
    const last = --this.n;
    if (last === 0) return true;
    const lt = t[last];
    const lk = k[last];
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      let tc = t[c];
      if (r < last) {
        const tr = t[r];
        if (tr < tc || (tr === tc && k[r] < k[c])) {
          c = r;
          tc = tr;
        }
      }
      if (lt < tc || (lt === tc && lk < k[c])) break;
      t[i] = tc;
      k[i] = k[c];
      kindArr[i] = kindArr[c];
      aArr[i] = aArr[c];
      bArr[i] = bArr[c];
      i = c;
    }
    t[i] = lt;
    k[i] = lk;
    kindArr[i] = kindArr[last];
    aArr[i] = aArr[last];
    bArr[i] = bArr[last];
    return true;
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const t = new Float64Array(cap);
    t.set(this.time);
    this.time = t;
    const k = new Float64Array(cap);
    k.set(this.key);
    this.key = k;
    const kind = new Int32Array(cap);
    kind.set(this.kindArr);
    this.kindArr = kind;
    const a = new Int32Array(cap);
    a.set(this.aArr);
    this.aArr = a;
    const b = new Int32Array(cap);
    b.set(this.bArr);
    this.bArr = b;
  }
}
