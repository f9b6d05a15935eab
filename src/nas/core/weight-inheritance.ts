/**
 * Weight inheritance for evolution (Real et al. 2017 "Large-Scale Evolution of Image
 * Classifiers" keep the parent's weights where the mutation allows): after a trial, its weights
 * are kept per layer name; a child copies every layer whose name exists in the parent and whose
 * weight shapes all match, and initialises the rest freshly. Layer names encode position and
 * op (`b2_sepconv3x3`, `s1_b0_dw`, `l0_dense`), so an op change or a width change re-initialises
 * that layer (and, for a width change, the consumer whose input shape changed), and inserting or
 * removing a block shifts the names after it. The stem and, when the last width is unchanged,
 * the head are inherited. Snapshots are plain arrays, so keeping them holds no tensors.
 */
import * as tf from '@tensorflow/tfjs';

export interface LayerWeights {
  shape: number[];
  values: Float32Array;
}

export type WeightSnapshot = Map<string, LayerWeights[]>;

export function snapshotWeights(model: tf.LayersModel): WeightSnapshot {
  const out: WeightSnapshot = new Map();
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    out.set(
      layer.name,
      ws.map((w) => ({ shape: w.shape.slice(), values: w.dataSync() as Float32Array })),
    );
  }
  return out;
}

/** Copies matching layers from `parent` into `child`; returns the names of the copied layers. */
export function inheritWeights(child: tf.LayersModel, parent: WeightSnapshot): string[] {
  const copied: string[] = [];
  for (const layer of child.layers) {
    const src = parent.get(layer.name);
    if (!src) continue;
    const own = layer.weights;
    if (
      own.length !== src.length ||
      own.some((w, i) => w.shape.join('x') !== src[i].shape.join('x'))
    )
      continue;
    const tensors = src.map((s) => tf.tensor(s.values, s.shape));
    layer.setWeights(tensors);
    tf.dispose(tensors);
    copied.push(layer.name);
  }
  return copied;
}

/**
 * A snapshot as bytes (the `nas-trial` job stores it as an artifact for its children): a
 * little-endian uint32 header length, a JSON header `[[layer, [shape, ...]], ...]`, then every
 * weight's float32 values in header order.
 */
export function encodeSnapshot(s: WeightSnapshot): Buffer {
  const header = [...s].map(([name, ws]) => [name, ws.map((w) => w.shape)]);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const arrays = [...s.values()]
    .flat()
    .map((w) => Buffer.from(w.values.buffer, w.values.byteOffset, w.values.byteLength));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([len, json, ...arrays]);
}

export function decodeSnapshot(bytes: Buffer): WeightSnapshot {
  const n = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + n).toString('utf8')) as [string, number[][]][];
  const out: WeightSnapshot = new Map();
  let offset = 4 + n;
  for (const [name, shapes] of header) {
    out.set(
      name,
      shapes.map((shape) => {
        const size = shape.reduce((a, b) => a * b, 1);
        // Copied: a Float32Array view needs 4-byte alignment the buffer may not have.
        const values = new Float32Array(size);
        Buffer.from(values.buffer).set(bytes.subarray(offset, offset + size * 4));
        offset += size * 4;
        return { shape, values };
      }),
    );
  }
  if (offset !== bytes.length)
    throw new Error(`weight snapshot: ${bytes.length - offset} bytes left over`);
  return out;
}
