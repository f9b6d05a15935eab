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
