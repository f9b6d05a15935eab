/** The global weights between rounds, as a job artifact (raw float32) and checkpoint state. */
export const GLOBAL_WEIGHTS_ARTIFACT = 'collab/global-weights.bin';

export interface FederationCheckpoint {
  roundsDone: number;
  /** Length of every weight tensor, to cut the raw float32 artifact back into tensors. */
  sizes: number[];
}

export function isFederationCheckpoint(v: unknown): v is FederationCheckpoint {
  const c = v as FederationCheckpoint;
  return (
    typeof v === 'object' && v !== null && Number.isInteger(c.roundsDone) && Array.isArray(c.sizes)
  );
}

export function encodeWeights(weights: readonly Float32Array[]): { data: Buffer; sizes: number[] } {
  const sizes = weights.map((w) => w.length);
  const data = Buffer.alloc(sizes.reduce((a, b) => a + b, 0) * 4);
  let offset = 0;
  for (const w of weights) {
    Buffer.from(w.buffer, w.byteOffset, w.byteLength).copy(data, offset);
    offset += w.byteLength;
  }
  return { data, sizes };
}

export function decodeWeights(data: Buffer, sizes: readonly number[]): Float32Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (data.byteLength !== total * 4)
    throw new Error(`global weights: ${data.byteLength} bytes, expected ${total * 4}`);
  const copy = new Float32Array(total);
  new Uint8Array(copy.buffer).set(data);
  let offset = 0;
  return sizes.map((n) => {
    const w = copy.slice(offset, offset + n);
    offset += n;
    return w;
  });
}

/**
 * SCAFFOLD (core/scaffold.ts) doubles what crosses the boundary: the global state of a train
 * item is the global weights followed by the server's control variate c, a site's shared state
 * its weights followed by its c_i+ - c_i, both in the declared sizes (so a site-work blob is
 * 2x the weights' bytes, metered as such).
 */
export function encodeWithControl(
  weights: readonly Float32Array[],
  control: readonly Float32Array[] | undefined,
): Buffer {
  return encodeWeights(control ? [...weights, ...control] : weights).data;
}

export function decodeWithControl(
  data: Buffer,
  sizes: readonly number[],
  withControl: boolean,
): { weights: Float32Array[]; control?: Float32Array[] } {
  if (!withControl) return { weights: decodeWeights(data, sizes) };
  const all = decodeWeights(data, [...sizes, ...sizes]);
  return { weights: all.slice(0, sizes.length), control: all.slice(sizes.length) };
}

/** Checkpoint artifact of the server's control variate c (a resumed federation keeps it). */
export const SERVER_CONTROL_ARTIFACT = 'collab/server-control.bin';
