import { AnnIndex, annSettings } from '../src/search/ann.js';
import { exactTopK } from '../src/search/exact.js';
import { rng } from '../test/helpers/images.js';
function clustered(n: number, dim: number, seed = 1): Float32Array {
  const rand = rng(seed);
  const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: dim }, () => rand() ** 3));
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length]!;
    let norm = 0;
    for (let j = 0; j < dim; j++) { const v = Math.max(0, c[j]! + (rand() - 0.5) * 0.4); data[i * dim + j] = v; norm += v * v; }
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < dim; j++) data[i * dim + j]! /= norm;
  }
  return data;
}
const n = 3000, dim = 48;
const data = clustered(n, dim);
const ids = Int32Array.from({length:n},(_,i)=>i+1);
const ann = new AnnIndex(dim, annSettings({quantisation:'f32'}));
ann.add(ids, data, 1);
const q = data.subarray(0, dim);
console.log(ann.search(q, 5));
console.log(exactTopK({ids, dim, data}, q, 5));
console.log(data.subarray(0, 10), data.subarray(dim*20, dim*20+10));
const matrix = {ids, dim, data};
const truth = new Set(exactTopK(matrix, q, 10).map((t) => matrix.ids[t.row]));
const cand = ann.search(q, 100).map((m) => m.id);
console.log([...truth], cand.slice(0, 12));
