import usearch from 'usearch';
const { Index, MetricKind, ScalarKind } = usearch;
const dim = 256, n = 20000;
const data = new Float32Array(n * dim);
for (let i = 0; i < data.length; i++) data[i] = Math.random() - 0.5;
for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < dim; j++) s += data[i*dim+j]**2; s = Math.sqrt(s); for (let j = 0; j < dim; j++) data[i*dim+j] /= s; }
for (const q of ['f32','f16','i8','b1'] as const) {
  const metric = q === 'b1' ? MetricKind.Hamming : MetricKind.IP;
  const idx = new Index({ dimensions: dim, metric, quantization: q as any, connectivity: 16, expansion_add: 128, expansion_search: 64, multi: false });
  const keys = new BigUint64Array(n); for (let i = 0; i < n; i++) keys[i] = BigInt(i + 1);
  const t = performance.now();
  try {
    if (q === 'b1') {
      const packed = new Uint8Array(n * dim / 8);
      for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) if (data[i*dim+j]! > 0) packed[i*dim/8 + (j>>3)] |= 128 >> (j & 7);
      idx.add(keys, packed as any, 2);
    } else idx.add(keys, data, 2);
  } catch (e) { console.log(q, 'add error', (e as Error).message); continue; }
  const bt = performance.now() - t;
  const res = idx.search(data.subarray(0, dim), 5, 1);
  console.log(q, 'build', bt.toFixed(0), 'ms', res.keys, res.distances);
  idx.save(`/tmp/ann-probe/${q}.usearch`);
  const v = new Index({ dimensions: dim, metric, quantization: q as any, connectivity: 16, expansion_add: 128, expansion_search: 200, multi: false });
  v.view(`/tmp/ann-probe/${q}.usearch`);
  console.log(' view size', v.size(), idx.remove(1n), idx.size());
}
