import * as tf from '@tensorflow/tfjs';

export interface Moments {
  m: Float32Array;
  v: Float32Array;
}

/**
 * Variables up to this many elements are updated on the host; larger ones by tf.train.adam's
 * kernels, whose per-element cost is lower once the ~12 calls per variable are amortised
 * (measured on wasm: 2.1M parameters 33-35 ms with tfjs against 51-70 ms on the host; 9k-106k
 * parameter zoo nets 2-20x faster on the host).
 */
export const HOST_ADAM_MAX_ELEMENTS = 65_536;

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) with its moments kept on the host, one pass per variable:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   w = w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * the formula and defaults of tf.train.adam (b1 0.9, b2 0.999, eps = the backend's epsilon,
 * 1e-7 for float32). tfjs runs that as about 12 kernels per variable per step (each a wasm call
 * with its own output tensor): 5-6 ms of a 45 ms small-cnn step on wasm. Here each variable
 * costs one read of the weight and the gradient and one write (docs/ml.md, issue 20).
 */
export class HostAdam {
  private readonly moments = new Map<string, Moments>();
  private t = 0;
  /** Variables above HOST_ADAM_MAX_ELEMENTS: tfjs's Adam, same settings, same step count. */
  private readonly large: tf.AdamOptimizer;

  constructor(
    private rate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = tf.backend().epsilon(),
  ) {
    this.large = tf.train.adam(rate, beta1, beta2, epsilon);
  }

  get learningRate(): number {
    return this.rate;
  }

  set learningRate(lr: number) {
    this.rate = lr;
    // AdamOptimizer reads its (protected) learningRate field on every update and has no setter
    // in tfjs 4.22.
    (this.large as unknown as { learningRate: number }).learningRate = lr;
  }

  applyGradients(grads: tf.NamedTensorMap): void {
    this.t++;
    // tfjs's Adam keys its slots by position in the map: the large variables always come in the
    // same order (the caller's), as the loop's gradients do.
    const large: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) {
      if (g != null && g.size > HOST_ADAM_MAX_ELEMENTS) large[name] = g;
    }
    // tfjs types the argument as a variable map; it reads gradients by variable name.
    if (Object.keys(large).length > 0)
      this.large.applyGradients(
        large as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0],
      );
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    const { beta1: b1, beta2: b2, epsilon: eps, learningRate: lr } = this;
    for (const [name, gradient] of Object.entries(grads)) {
      const variable = tf.engine().registeredVariables[name];
      if (variable === undefined || gradient == null || gradient.size > HOST_ADAM_MAX_ELEMENTS)
        continue;
      let state = this.moments.get(name);
      if (state === undefined) {
        state = { m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
        this.moments.set(name, state);
      }
      const { m, v } = state;
      const g = gradient.dataSync();
      // Never written in place: on the cpu backend dataSync returns the tensor's own storage,
      // which clones of the variable (early stopping's best weights) may share.
      const w = variable.dataSync();
      const next = new Float32Array(w.length);
      for (let k = 0; k < w.length; k++) {
        const gk = g[k];
        m[k] = b1 * m[k] + (1 - b1) * gk;
        v[k] = b2 * v[k] + (1 - b2) * gk * gk;
        next[k] = w[k] - (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + eps);
      }
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, variable.dtype)));
    }
  }

  /**
   * The step count and the host moments in the order the variables were first updated (the
   * model's order), for a study that averages optimizer states across models of one
   * architecture (whose variables have other names).
   */
  exportState(): { t: number; moments: Moments[] } {
    return { t: this.t, moments: [...this.moments.values()] };
  }

  /** Sets the state `exportState` gave, by position; false (and nothing set) when it does not fit. */
  importState(state: { t: number; moments: readonly Moments[] }): boolean {
    const own = [...this.moments.values()];
    if (
      own.length !== state.moments.length ||
      own.some((m, i) => m.m.length !== state.moments[i].m.length)
    )
      return false;
    own.forEach((m, i) => {
      m.m.set(state.moments[i].m);
      m.v.set(state.moments[i].v);
    });
    this.t = state.t;
    return true;
  }

  dispose(): void {
    this.moments.clear();
    this.large.dispose();
  }
}
