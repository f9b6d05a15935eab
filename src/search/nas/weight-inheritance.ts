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
