import type * as tf from '@tensorflow/tfjs';

/** One cached inference: the backbone's activations of an input and, after feedback, its label. */
export interface CachedActivation {
  /** Shape without the batch axis; owned by the cache (disposed on eviction). */
  activation: tf.Tensor;
  bytes: number;
  label?: number;
}

/**
 * AutLearn's inference-training cache: the backbone activations of recent predictions, so that
 * training the head on the user's feedback needs no second forward pass through the backbone.
 * Least recently used entries are evicted (and their tensors disposed) to keep the total of
 * the activations' bytes within `maxBytes`; an entry larger than the bound is not kept.
 */
export class ActivationCache {
  private readonly entries = new Map<string, CachedActivation>();
  private total = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes >= 0) || !Number.isFinite(maxBytes)) {
      throw new RangeError(`cacheBytes must be a finite number >= 0, got ${maxBytes}`);
    }
  }

  /** Bytes held now (4 per float32 element). */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Keeps `activation` (the cache then owns it) unless it exceeds the bound: returns whether kept. */
  put(id: string, activation: tf.Tensor): boolean {
    this.delete(id);
    const bytes = activation.size * 4;
    if (bytes > this.maxBytes) return false;
    while (this.total + bytes > this.maxBytes) this.evictOldest();
    this.entries.set(id, { activation, bytes });
    this.total += bytes;
    return true;
  }

  /** The entry, marked most recently used. */
  get(id: string): CachedActivation | undefined {
    const entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** Labelled entries, most recent first, without changing their recency. */
  labelled(limit: number, except?: string): { id: string; entry: CachedActivation }[] {
    const out: { id: string; entry: CachedActivation }[] = [];
    const ids = [...this.entries.keys()].reverse();
    for (const id of ids) {
      if (out.length >= limit) break;
      const entry = this.entries.get(id) as CachedActivation;
      if (id !== except && entry.label !== undefined) out.push({ id, entry });
    }
    return out;
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.total -= entry.bytes;
    entry.activation.dispose();
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.delete(id);
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next().value;
    if (oldest !== undefined) this.delete(oldest);
  }
}
