/**
 * The denoising convolutional autoencoder: four 3x3 stride-2 convolutions down
 * (S -> S/16), a sigmoid code layer, and the mirrored four transposed convolutions up
 * to a sigmoid RGB reconstruction. All parameters live in one flat Float32Array.
 */
import { invalidParameter } from '../../errors.js';
import { integerInRange } from '../../validate.js';
import { gaussian, seededRandom } from '../../random.js';
import { ConvLayer, KERNEL, type LayerShape, type ParamSlot } from './layers.js';

export interface AutoencoderSpec {
  /** Input side in pixels (square RGB); a multiple of 16. */
  size: number;
  /** Channels of the three hidden encoder layers (the decoder mirrors them). */
  hidden: [number, number, number];
  /** Channels of the code layer; bits = codeChannels * (size / 16)^2, a multiple of 32. */
  codeChannels: number;
}

export const DEFAULT_SPEC: AutoencoderSpec = { size: 64, hidden: [16, 32, 64], codeChannels: 16 };

export function codeBits(spec: AutoencoderSpec): number {
  return spec.codeChannels * (spec.size / 16) ** 2;
}

export function validateSpec(spec: AutoencoderSpec): AutoencoderSpec {
  integerInRange('size', spec.size, 16, 512);
  if (spec.size % 16 !== 0) throw invalidParameter('size', 'a multiple of 16', spec.size);
  if (!Array.isArray(spec.hidden) || spec.hidden.length !== 3) throw invalidParameter('hidden', 'three channel counts', spec.hidden);
  spec.hidden.forEach((c, i) => integerInRange(`hidden[${i}]`, c, 1, 1024));
  integerInRange('codeChannels', spec.codeChannels, 1, 1024);
  if (codeBits(spec) % 32 !== 0) {
    throw invalidParameter('codeChannels', 'a value giving a code length that is a multiple of 32 bits', spec.codeChannels);
  }
  return spec;
}

export interface LossParts {
  /** Total objective: mse + binarisation penalty. */
  loss: number;
  /** Mean squared reconstruction error per pixel channel, inputs in [0, 1]. */
  mse: number;
  /** Mean of c(1 - c) over code units (0 when every unit is saturated at 0 or 1). */
  binariness: number;
}

export class ConvAutoencoder {
  readonly spec: AutoencoderSpec;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  private readonly layers: ConvLayer[] = [];
  private lossGrad = new Float32Array(0);

  constructor(spec: AutoencoderSpec, params?: Float32Array, seed = 1) {
    this.spec = validateSpec(spec);
    const shapes = layerShapes(spec);
    const count = shapes.reduce((n, s) => n + ConvLayer.weightCount(s.shape) + s.shape.outChannels, 0);
    if (params && params.length !== count) throw invalidParameter('params', `${count} weights`, params.length);
    this.params = params ?? new Float32Array(count);
    this.grads = new Float32Array(count);
    let offset = 0;
    for (const s of shapes) {
      const w = ConvLayer.weightCount(s.shape);
      const slot: ParamSlot = {
        weight: this.params.subarray(offset, offset + w),
        bias: this.params.subarray(offset + w, offset + w + s.shape.outChannels),
        weightGrad: this.grads.subarray(offset, offset + w),
        biasGrad: this.grads.subarray(offset + w, offset + w + s.shape.outChannels),
      };
      offset += w + s.shape.outChannels;
      this.layers.push(new ConvLayer(s.shape, s.transposed, s.activation, slot));
    }
    if (!params) this.initialise(seed);
  }

  get bits(): number {
    return codeBits(this.spec);
  }

  /** He initialisation; a transposed conv sees ~Cin*9/4 inputs per output pixel. */
  private initialise(seed: number): void {
    const g = gaussian(seededRandom(seed));
    let offset = 0;
    for (const layer of this.layers) {
      const { inChannels, outChannels } = layer.shape;
      const fanIn = (inChannels * KERNEL * KERNEL) / (layer.transposed ? 4 : 1);
      const std = Math.sqrt(2 / fanIn) * (layer.activation === 'sigmoid' ? 0.5 : 1);
      const w = ConvLayer.weightCount(layer.shape);
      for (let i = 0; i < w; i++) this.params[offset + i] = g() * std;
      offset += w + outChannels;
    }
  }

  /**
   * Start the reconstruction at the data's mean colour (bias = logit(mean) per channel),
   * so early steps are spent on structure, not on finding the average brightness.
   */
  initialiseOutputBias(channelMeans: [number, number, number]): void {
    const bias = this.params.subarray(this.params.length - 3);
    channelMeans.forEach((m, c) => {
      const p = Math.min(0.99, Math.max(0.01, m));
      bias[c] = Math.log(p / (1 - p));
    });
  }

  /** Sigmoid code activations, [codeChannels][B][S/16][S/16]. `input` is [3][B][S][S] in [0, 1]. */
  encode(input: Float32Array, batch: number): Float32Array {
    this.checkInput(input, batch);
    let x = input;
    for (let l = 0; l < 4; l++) x = this.layers[l]!.forward(x, batch);
    return x;
  }

  /** Reconstruction [3][B][S][S] from a code tensor (sigmoid values or hard 0/1 bits). */
  decode(code: Float32Array, batch: number): Float32Array {
    const expected = this.spec.codeChannels * batch * (this.spec.size / 16) ** 2;
    if (code.length !== expected) throw invalidParameter('code', `${expected} values`, code.length);
    let x = code;
    for (let l = 4; l < 8; l++) x = this.layers[l]!.forward(x, batch);
    return x;
  }

  /**
   * One forward + backward pass: grads are overwritten with the batch-mean gradient of
   * mse(decode(code), clean) + penalty * mean(c(1 - c)), c = encode(noisy).
   * With `straightThrough` the decoder reads the hard 0/1 code (so training optimises what
   * the stored bits can reconstruct) and its gradient is passed to the sigmoid unchanged;
   * without it the decoder reads the sigmoid code and only the penalty pushes it to 0/1.
   */
  lossAndGrad(noisy: Float32Array, clean: Float32Array, batch: number, penalty: number, straightThrough = true): LossParts {
    this.checkInput(clean, batch);
    const code = this.encode(noisy, batch);
    const out = this.decode(straightThrough ? hardenInto(code, this.hardCode(code.length)) : code, batch);
    this.grads.fill(0);
    const n = out.length;
    if (this.lossGrad.length !== n) this.lossGrad = new Float32Array(n);
    const dOut = this.lossGrad;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const d = out[i]! - clean[i]!;
      sq += d * d;
      dOut[i] = (2 * d) / n;
    }
    let d: Float32Array | null = dOut;
    for (let l = 7; l >= 4; l--) d = this.layers[l]!.backward(d!, true);
    // The code layer's output buffer is `code`; d is dLoss/dCode. Add the penalty term.
    let bin = 0;
    const m = code.length;
    for (let i = 0; i < m; i++) {
      const c = code[i]!;
      bin += c * (1 - c);
      d![i]! += (penalty * (1 - 2 * c)) / m;
    }
    for (let l = 3; l >= 0; l--) d = this.layers[l]!.backward(d!, l > 0);
    const mse = sq / n;
    const binariness = bin / m;
    return { loss: mse + penalty * binariness, mse, binariness };
  }

  private hardBuffer = new Float32Array(0);

  private hardCode(n: number): Float32Array {
    if (this.hardBuffer.length !== n) this.hardBuffer = new Float32Array(n);
    return this.hardBuffer;
  }

  private checkInput(input: Float32Array, batch: number): void {
    const expected = 3 * batch * this.spec.size * this.spec.size;
    if (input.length !== expected) throw invalidParameter('input', `${expected} values ([3][${batch}][${this.spec.size}][${this.spec.size}])`, input.length);
  }
}

function hardenInto(code: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < code.length; i++) out[i] = code[i]! >= 0.5 ? 1 : 0;
  return out;
}

function layerShapes(spec: AutoencoderSpec): Array<{ shape: LayerShape; transposed: boolean; activation: 'relu' | 'sigmoid' }> {
  const ch = [3, ...spec.hidden, spec.codeChannels];
  const sizes = [spec.size, spec.size / 2, spec.size / 4, spec.size / 8, spec.size / 16];
  const down = [0, 1, 2, 3].map((i) => ({
    shape: { inChannels: ch[i]!, outChannels: ch[i + 1]!, inSize: sizes[i]!, outSize: sizes[i + 1]! },
    transposed: false,
    activation: (i === 3 ? 'sigmoid' : 'relu') as 'relu' | 'sigmoid',
  }));
  const up = [3, 2, 1, 0].map((i) => ({
    shape: { inChannels: ch[i + 1]!, outChannels: ch[i]!, inSize: sizes[i + 1]!, outSize: sizes[i]! },
    transposed: true,
    activation: (i === 0 ? 'sigmoid' : 'relu') as 'relu' | 'sigmoid',
  }));
  return [...down, ...up];
}
