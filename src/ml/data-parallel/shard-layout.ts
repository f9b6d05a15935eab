import type { HostShard } from '../train/row-objectives';

/** What fixes where a shard's parts sit in a replica's input buffer. */
export interface ShardLayoutSpec {
  /** Values per example (the product of the sample shape). */
  rowLength: number;
  /** The largest shard (rows). */
  maxShard: number;
  /** mixup: the partners' labels and lambda follow the labels. */
  mixup: boolean;
  /** Distillation: the most public rows a shard carries (0: none), and the teacher's classes. */
  maxPublic: number;
  classes: number;
}

/**
 * A training shard in a replica's Float32 input buffer (replica-pool.ts writes it, the replica
 * reads it back): rows, labels, then what the objective needs (mixup: partners' labels, lambda;
 * distillation: the public batch's rows in the shard and its size, the public rows and the
 * teacher's soft labels for them). Counts are small integers, exact in float32; lambda is shipped
 * as float32 and the main thread uses that same value (sharded-step.ts).
 */
export class ShardLayout {
  private readonly y: number;
  private readonly partnerY: number;
  private readonly lambda: number;
  private readonly publicCounts: number;
  private readonly publicX: number;
  private readonly teacher: number;
  readonly length: number;

  constructor(private readonly spec: ShardLayoutSpec) {
    const { rowLength, maxShard, maxPublic, classes } = spec;
    this.y = maxShard * rowLength;
    let at = this.y + maxShard;
    this.partnerY = at;
    if (spec.mixup) at += maxShard;
    this.lambda = at;
    if (spec.mixup) at += 1;
    this.publicCounts = at;
    if (maxPublic > 0) at += 2;
    this.publicX = at;
    at += maxPublic * rowLength;
    this.teacher = at;
    at += maxPublic * classes;
    this.length = at;
  }

  write(buffer: Float32Array, shard: HostShard): void {
    const { spec } = this;
    if (shard.size > spec.maxShard)
      throw new RangeError(`shard of ${shard.size} rows, the pool holds ${spec.maxShard}`);
    buffer.set(shard.x, 0);
    buffer.set(shard.y, this.y);
    if (spec.mixup !== (shard.mix !== undefined))
      throw new Error(`a shard ${shard.mix ? 'with' : 'without'} mixup for this pool`);
    if (shard.mix) {
      buffer.set(shard.mix.partnerY, this.partnerY);
      buffer[this.lambda] = shard.mix.lambda;
    }
    if (spec.maxPublic > 0) {
      const d = shard.distill;
      if (!d) throw new Error('a shard without its public rows for this pool');
      if (d.rows > spec.maxPublic)
        throw new RangeError(`${d.rows} public rows, the pool holds ${spec.maxPublic}`);
      buffer[this.publicCounts] = d.rows;
      buffer[this.publicCounts + 1] = d.batchRows;
      buffer.set(d.x, this.publicX);
      buffer.set(d.teacher, this.teacher);
    }
  }

  /** The shard of `size` rows of a batch of `batchRows` (copies: the buffer is reused). */
  read(buffer: Float32Array, size: number, batchRows: number): HostShard {
    const { spec } = this;
    const shard: HostShard = {
      x: buffer.slice(0, size * spec.rowLength),
      y: buffer.slice(this.y, this.y + size),
      size,
      batchRows,
    };
    if (spec.mixup) {
      shard.mix = {
        partnerY: buffer.slice(this.partnerY, this.partnerY + size),
        lambda: buffer[this.lambda],
      };
    }
    if (spec.maxPublic > 0) {
      const rows = buffer[this.publicCounts];
      shard.distill = {
        rows,
        batchRows: buffer[this.publicCounts + 1],
        x: buffer.slice(this.publicX, this.publicX + rows * spec.rowLength),
        teacher: buffer.slice(this.teacher, this.teacher + rows * spec.classes),
      };
    }
    return shard;
  }
}
