/**
 * im2col / col2im for activations laid out channel-major over the batch, [C][B][H][W].
 * With that layout a convolution is one GEMM whose output is already [Cout][B][Ho][Wo],
 * so layers chain without any transposes.
 */

export interface ConvGeometry {
  channels: number;
  batch: number;
  height: number;
  width: number;
  kernel: number;
  stride: number;
  pad: number;
  outHeight: number;
  outWidth: number;
}

/** cols[(c*k + ki)*k + kj][b*Ho*Wo + oh*Wo + ow] = x[c][b][oh*s - p + ki][ow*s - p + kj] (0 outside). */
export function im2col(x: Float32Array, g: ConvGeometry, cols: Float32Array): void {
  const { channels, batch, height: H, width: W, kernel: k, stride: s, pad: p, outHeight: Ho, outWidth: Wo } = g;
  const plane = H * W, outPlane = Ho * Wo, rowLen = batch * outPlane;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < k; ki++) {
      for (let kj = 0; kj < k; kj++) {
        const row = ((c * k + ki) * k + kj) * rowLen;
        for (let b = 0; b < batch; b++) {
          const src = (c * batch + b) * plane;
          const dstB = row + b * outPlane;
          for (let oh = 0; oh < Ho; oh++) {
            const ih = oh * s - p + ki;
            const dst = dstB + oh * Wo;
            if (ih < 0 || ih >= H) {
              cols.fill(0, dst, dst + Wo);
              continue;
            }
            const srcRow = src + ih * W;
            for (let ow = 0; ow < Wo; ow++) {
              const iw = ow * s - p + kj;
              cols[dst + ow] = iw >= 0 && iw < W ? x[srcRow + iw]! : 0;
            }
          }
        }
      }
    }
  }
}

/** Adjoint of im2col: scatter-add cols back into x (x is zeroed first). */
export function col2im(cols: Float32Array, g: ConvGeometry, x: Float32Array): void {
  const { channels, batch, height: H, width: W, kernel: k, stride: s, pad: p, outHeight: Ho, outWidth: Wo } = g;
  const plane = H * W, outPlane = Ho * Wo, rowLen = batch * outPlane;
  x.fill(0, 0, channels * batch * plane);
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < k; ki++) {
      for (let kj = 0; kj < k; kj++) {
        const row = ((c * k + ki) * k + kj) * rowLen;
        for (let b = 0; b < batch; b++) {
          const dst = (c * batch + b) * plane;
          const srcB = row + b * outPlane;
          for (let oh = 0; oh < Ho; oh++) {
            const ih = oh * s - p + ki;
            if (ih < 0 || ih >= H) continue;
            const src = srcB + oh * Wo;
            const dstRow = dst + ih * W;
            for (let ow = 0; ow < Wo; ow++) {
              const iw = ow * s - p + kj;
              if (iw >= 0 && iw < W) x[dstRow + iw]! += cols[src + ow]!;
            }
          }
        }
      }
    }
  }
}
