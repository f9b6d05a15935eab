import { Rng } from '../src/rng';
import type { Example } from '../src/personalize';

/** The synthetic user's classes: what their own photos show, unknown to the pretrained model. */
export const USER_CLASSES = ['horizontal', 'vertical', 'blob'] as const;

/**
 * One user's images, `side` x `side` gray in [0, 1]: horizontal stripes, vertical stripes or a
 * bright blob, at a random phase/position and with uniform noise (seeded). The three are told
 * apart by orientation and shape, which convolution features of any (even random) backbone
 * carry, while the base model's head has never seen these labels: chance accuracy before.
 */
export function userExamples(count: number, seed: number, side = 8): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const label = i % USER_CLASSES.length;
    const phase = rng.int(4);
    const cy = 2 + rng.int(side - 4);
    const cx = 2 + rng.int(side - 4);
    const img = new Float32Array(side * side);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const on =
          label === 0
            ? (y + phase) % 4 < 2
            : label === 1
              ? (x + phase) % 4 < 2
              : Math.abs(y - cy) + Math.abs(x - cx) <= 2;
        img[y * side + x] = Math.min(1, Math.max(0, (on ? 0.8 : 0.1) + (rng.float() - 0.5) * 0.3));
      }
    return { input: img, label: USER_CLASSES[label] };
  });
}
