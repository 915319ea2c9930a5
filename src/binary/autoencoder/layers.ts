/**
 * Convolution layers with hand-written backward passes, over [C][B][H][W] activations.
 * Parameters are views into one flat Float32Array owned by the network (so weights and
 * gradients travel between threads and into Adam as single arrays).
 */
import { gemm, gemmNT, transposeInto } from './gemm.js';
import { col2im, im2col, type ConvGeometry } from './im2col.js';

export type Activation = 'relu' | 'sigmoid';

export interface ParamSlot {
  weight: Float32Array;
  bias: Float32Array;
  weightGrad: Float32Array;
  biasGrad: Float32Array;
}

/** Shape facts of a layer for one batch size. */
export interface LayerShape {
  inChannels: number;
  outChannels: number;
  inSize: number;
  outSize: number;
}

export const KERNEL = 3;
export const STRIDE = 2;
export const PAD = 1;

/**
 * A 3x3 stride-2 convolution (halves the side) or its transpose (doubles it), followed by
 * an activation. The transpose is literally the adjoint of the same geometry, so the two
 * share im2col/col2im and differ only in which product runs forward.
 */
export class ConvLayer {
  readonly shape: LayerShape;
  readonly transposed: boolean;
  readonly activation: Activation;
  private slot: ParamSlot;
  private batch = 0;
  private geometry!: ConvGeometry;
  private cols = new Float32Array(0);
  private weightT = new Float32Array(0);
  private input: Float32Array = new Float32Array(0);
  private output = new Float32Array(0);
  private dInput = new Float32Array(0);

  constructor(shape: LayerShape, transposed: boolean, activation: Activation, slot: ParamSlot) {
    this.shape = shape;
    this.transposed = transposed;
    this.activation = activation;
    this.slot = slot;
  }

  /** Weight count: [Cout][Cin*9] for a conv, [Cin][Cout*9] for a transposed conv. */
  static weightCount(shape: LayerShape): number {
    return shape.inChannels * shape.outChannels * KERNEL * KERNEL;
  }

  bind(slot: ParamSlot): void {
    this.slot = slot;
  }

  private prepare(batch: number): void {
    if (batch === this.batch) return;
    const { inChannels, outChannels, inSize, outSize } = this.shape;
    this.batch = batch;
    // The convolution's "big side" is its input; for the transpose it is the output.
    const big = this.transposed ? outSize : inSize;
    const small = this.transposed ? inSize : outSize;
    const bigChannels = this.transposed ? outChannels : inChannels;
    this.geometry = {
      channels: bigChannels, batch, height: big, width: big,
      kernel: KERNEL, stride: STRIDE, pad: PAD, outHeight: small, outWidth: small,
    };
    this.cols = new Float32Array(bigChannels * KERNEL * KERNEL * batch * small * small);
    this.weightT = new Float32Array(ConvLayer.weightCount(this.shape));
    this.output = new Float32Array(outChannels * batch * outSize * outSize);
    this.dInput = new Float32Array(inChannels * batch * inSize * inSize);
  }

  forward(x: Float32Array, batch: number): Float32Array {
    this.prepare(batch);
    this.input = x;
    const { inChannels, outChannels, outSize } = this.shape;
    const kk = KERNEL * KERNEL;
    const { weight, bias } = this.slot;
    const out = this.output;
    if (!this.transposed) {
      im2col(x, this.geometry, this.cols);
      const p = batch * outSize * outSize;
      gemm(weight, this.cols, out, outChannels, inChannels * kk, p);
    } else {
      const p = batch * this.shape.inSize * this.shape.inSize;
      // cols (Cout*9 x P) = W^T (Cout*9 x Cin) * x (Cin x P), then scatter into the big image.
      transposeInto(weight, this.weightT, inChannels, outChannels * kk);
      gemm(this.weightT, x, this.cols, outChannels * kk, inChannels, p);
      col2im(this.cols, this.geometry, out);
    }
    const plane = batch * outSize * outSize;
    for (let c = 0; c < outChannels; c++) {
      const b = bias[c]!;
      const o = c * plane;
      if (this.activation === 'relu') {
        for (let i = o; i < o + plane; i++) {
          const v = out[i]! + b;
          out[i] = v > 0 ? v : 0;
        }
      } else {
        for (let i = o; i < o + plane; i++) out[i] = 1 / (1 + Math.exp(-(out[i]! + b)));
      }
    }
    return out;
  }

  /**
   * Given dLoss/dOutput (overwritten with dLoss/dPreActivation), accumulate parameter
   * gradients and return dLoss/dInput (null when `needInputGrad` is false: the first layer).
   */
  backward(dOut: Float32Array, needInputGrad: boolean): Float32Array | null {
    const batch = this.batch;
    const { inChannels, outChannels, inSize, outSize } = this.shape;
    const kk = KERNEL * KERNEL;
    const y = this.output;
    const plane = batch * outSize * outSize;
    const n = outChannels * plane;
    if (this.activation === 'relu') {
      for (let i = 0; i < n; i++) if (y[i]! <= 0) dOut[i] = 0;
    } else {
      for (let i = 0; i < n; i++) {
        const v = y[i]!;
        dOut[i] = dOut[i]! * v * (1 - v);
      }
    }
    const { weight, weightGrad, biasGrad } = this.slot;
    for (let c = 0; c < outChannels; c++) {
      let s = 0;
      for (let i = c * plane; i < (c + 1) * plane; i++) s += dOut[i]!;
      biasGrad[c]! += s;
    }
    if (!this.transposed) {
      // dW (Cout x Cin*9) += dOut (Cout x P) * cols^T; cols still holds this batch's im2col.
      gemmNT(dOut, this.cols, weightGrad, outChannels, plane, inChannels * kk, true);
      if (!needInputGrad) return null;
      transposeInto(weight, this.weightT, outChannels, inChannels * kk);
      gemm(this.weightT, dOut, this.cols, inChannels * kk, outChannels, plane);
      col2im(this.cols, this.geometry, this.dInput);
      return this.dInput;
    }
    // Transposed: its adjoint is the plain convolution of dOut.
    const p = batch * inSize * inSize;
    im2col(dOut, this.geometry, this.cols);
    gemmNT(this.input, this.cols, weightGrad, inChannels, p, outChannels * kk, true);
    if (!needInputGrad) return null;
    gemm(weight, this.cols, this.dInput, inChannels, outChannels * kk, p);
    return this.dInput;
  }
}
