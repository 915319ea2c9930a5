/**
 * Post-processing learned from the collection itself: L2 -> PCA -> whitening -> L2,
 * plus signed power normalisation. The transform is fitted on the collection's raw
 * vectors and stored with it, so queries are projected exactly like the collection.
 *
 * CONTRACT used by src/collection.ts (keep these names and signatures):
 *   fitTransform(data, n, dim, policy) -> LearnedTransform | null
 *   serializeTransform(t) -> Buffer, deserializeTransform(buf) -> LearnedTransform
 *   codeFunction(policy, transform | null) -> (raw) => L2-normalised code
 * OWNER: quality helper (issue 7) fills in the PCA-whitening; this first version
 * implements power normalisation only and learns nothing.
 */
import type { PostPolicy } from './recipe.js';

export interface LearnedTransform {
  /** Input dimension. */
  inDim: number;
  /** Output dimension. */
  outDim: number;
  /** Number of vectors it was fitted on (the collection refits when it has grown a lot). */
  fittedOn: number;
  mean: Float32Array;
  /** outDim x inDim, row-major: projection already scaled by the whitening. */
  projection: Float32Array;
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

function signedPower(v: Float32Array, p: number): Float32Array {
  if (p === 1) return v;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    v[i] = Math.sign(x) * Math.pow(Math.abs(x), p);
  }
  return v;
}

export function fitTransform(data: Float32Array, n: number, dim: number, policy: PostPolicy): LearnedTransform | null {
  void data;
  void n;
  void dim;
  void policy;
  return null;
}

export function applyTransform(t: LearnedTransform, raw: Float32Array): Float32Array {
  const out = new Float32Array(t.outDim);
  for (let o = 0; o < t.outDim; o++) {
    let s = 0;
    const row = o * t.inDim;
    for (let i = 0; i < t.inDim; i++) s += t.projection[row + i]! * (raw[i]! - t.mean[i]!);
    out[o] = s;
  }
  return out;
}

export function codeFunction(policy: PostPolicy, transform: LearnedTransform | null): (raw: Float32Array) => Float32Array {
  return (raw) => {
    let v: Float32Array = Float32Array.from(raw);
    if (transform) v = l2normalize(applyTransform(transform, v));
    return l2normalize(signedPower(v, policy.power));
  };
}

export function serializeTransform(t: LearnedTransform): Buffer {
  const header = Buffer.from(JSON.stringify({ inDim: t.inDim, outDim: t.outDim, fittedOn: t.fittedOn }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return Buffer.concat([len, header, Buffer.from(t.mean.buffer, t.mean.byteOffset, t.mean.byteLength),
    Buffer.from(t.projection.buffer, t.projection.byteOffset, t.projection.byteLength)]);
}

export function deserializeTransform(buf: Buffer): LearnedTransform {
  const hlen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + hlen).toString()) as { inDim: number; outDim: number; fittedOn: number };
  const floats = (offset: number, count: number): Float32Array => {
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(buf.subarray(offset, offset + count * 4));
    return out;
  };
  const meanAt = 4 + hlen;
  return {
    ...header,
    mean: floats(meanAt, header.inDim),
    projection: floats(meanAt + header.inDim * 4, header.inDim * header.outDim),
  };
}
