/**
 * A small fully connected network scoring a pair of codes: input features -> 1-2 ReLU hidden
 * layers -> one logit; sigmoid(logit) is the similarity in [0, 1]. Trained with binary
 * cross-entropy (targets may be soft, e.g. from SSIM) and Adam on mini-batches.
 * Hand-written: a few hundred thousand weights need no framework, and stay plain Float32Arrays
 * that serialise into the collection.
 */
import { invalidParameter } from '../../errors.js';
import { gaussian, seededRandom } from '../../random.js';

export interface MlpShape {
  input: number;
  hidden: number[];
}

interface Layer {
  in: number;
  out: number;
  /** Row-major out x in. */
  w: Float32Array;
  b: Float32Array;
}

export class Mlp {
  readonly shape: MlpShape;
  readonly layers: Layer[];

  constructor(shape: MlpShape, layers?: Layer[], seed = 1) {
    if (!Number.isInteger(shape.input) || shape.input < 1) throw invalidParameter('input', 'a positive integer', shape.input);
    if (shape.hidden.length < 1 || shape.hidden.length > 2 || !shape.hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096)) {
      throw invalidParameter('hidden', '1 or 2 layer sizes between 1 and 4096', shape.hidden.join(','));
    }
    this.shape = shape;
    if (layers) {
      this.layers = layers;
      return;
    }
    const g = gaussian(seededRandom(seed));
    const sizes = [shape.input, ...shape.hidden, 1];
    this.layers = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l]!;
      const out = sizes[l + 1]!;
      // He initialisation suits ReLU layers.
      const scale = Math.sqrt(2 / fanIn);
      const w = new Float32Array(out * fanIn);
      for (let i = 0; i < w.length; i++) w[i] = g() * scale;
      this.layers.push({ in: fanIn, out, w, b: new Float32Array(out) });
    }
  }

  /** Activations of every layer for one input (post-ReLU for hidden layers, the raw logit last). */
  forward(x: Float32Array): Float32Array[] {
    const acts: Float32Array[] = [x];
    let a = x;
    this.layers.forEach((layer, l) => {
      const z = new Float32Array(layer.out);
      const last = l === this.layers.length - 1;
      for (let o = 0; o < layer.out; o++) {
        let s = layer.b[o]!;
        const off = o * layer.in;
        for (let i = 0; i < layer.in; i++) s += layer.w[off + i]! * a[i]!;
        z[o] = last || s > 0 ? s : 0;
      }
      acts.push(z);
      a = z;
    });
    return acts;
  }

  /** Similarity in [0, 1]. */
  predict(x: Float32Array): number {
    const acts = this.forward(x);
    return sigmoid(acts[acts.length - 1]![0]!);
  }

  parameterCount(): number {
    return this.layers.reduce((s, l) => s + l.w.length + l.b.length, 0);
  }
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Binary cross-entropy of a logit against a (soft) target, computed stably. */
export function bceWithLogit(z: number, t: number): number {
  return Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
}

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

/** Adam state for every parameter array of a network; one `step` per mini-batch. */
export class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;
  constructor(private readonly params: Float32Array[], private readonly options: AdamOptions) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  step(grads: Float32Array[]): void {
    const { learningRate: lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } = this.options;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    this.params.forEach((p, k) => {
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! + weightDecay * p[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * gi;
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
        p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + epsilon);
      }
    });
  }
}

/** Parameters in a fixed order (w0, b0, w1, b1, ...), shared by Adam and the gradients. */
export function parameters(net: Mlp): Float32Array[] {
  return net.layers.flatMap((l) => [l.w, l.b]);
}

/**
 * Mean BCE loss over a mini-batch and its gradients (same order as `parameters`), by
 * back-propagation through the ReLU layers.
 */
export function batchGradients(net: Mlp, inputs: readonly Float32Array[], targets: readonly number[]): { loss: number; grads: Float32Array[] } {
  const grads = parameters(net).map((p) => new Float32Array(p.length));
  let loss = 0;
  const n = inputs.length;
  for (let s = 0; s < n; s++) {
    const acts = net.forward(inputs[s]!);
    const z = acts[acts.length - 1]![0]!;
    const t = targets[s]!;
    loss += bceWithLogit(z, t);
    let delta = Float32Array.of((sigmoid(z) - t) / n);
    for (let l = net.layers.length - 1; l >= 0; l--) {
      const layer = net.layers[l]!;
      const a = acts[l]!;
      const gw = grads[2 * l]!;
      const gb = grads[2 * l + 1]!;
      const prev = l > 0 ? new Float32Array(layer.in) : null;
      for (let o = 0; o < layer.out; o++) {
        const d = delta[o]!;
        if (d === 0) continue;
        gb[o]! += d;
        const off = o * layer.in;
        for (let i = 0; i < layer.in; i++) {
          gw[off + i]! += d * a[i]!;
          if (prev) prev[i]! += d * layer.w[off + i]!;
        }
      }
      if (prev) {
        // ReLU derivative: zero where the hidden activation was clipped.
        for (let i = 0; i < prev.length; i++) if (a[i]! <= 0) prev[i] = 0;
        delta = prev;
      }
    }
  }
  return { loss: loss / n, grads };
}
