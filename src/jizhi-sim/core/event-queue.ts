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
    // Sift up with a hole: move parents down until the slot for the new event is found.
    let i = this.n++;
    const t = this.time;
    const k = this.key;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = t[p];
      if (tp < time || (tp === time && k[p] < key)) break;
      this.move(p, i);
      i = p;
    }
    t[i] = time;
    k[i] = key;
    this.kindArr[i] = kind;
    this.aArr[i] = a;
    this.bArr[i] = b;
  }

  /** Remove the earliest event into (now, kind, a, b). Returns false when the heap is empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const t = this.time;
    const k = this.key;
    this.now = t[0];
    this.kind = this.kindArr[0];
    this.a = this.aArr[0];
    this.b = this.bArr[0];
    const last = --this.n;
    if (last === 0) return true;
    const lt = t[last];
    const lk = k[last];
    const lkind = this.kindArr[last];
    const la = this.aArr[last];
    const lb = this.bArr[last];
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      if (r < last && (t[r] < t[c] || (t[r] === t[c] && k[r] < k[c]))) c = r;
      if (lt < t[c] || (lt === t[c] && lk < k[c])) break;
      this.move(c, i);
      i = c;
    }
    t[i] = lt;
    k[i] = lk;
    this.kindArr[i] = lkind;
    this.aArr[i] = la;
    this.bArr[i] = lb;
    return true;
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from];
    this.key[to] = this.key[from];
    this.kindArr[to] = this.kindArr[from];
    this.aArr[to] = this.aArr[from];
    this.bArr[to] = this.bArr[from];
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
