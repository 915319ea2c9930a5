import usearch from 'usearch';
const dim = 64, n = 20000;
const data = new Float32Array(n * dim); for (let i = 0; i < data.length; i++) data[i] = Math.random() - 0.5;
const mk = (ef: number) => new usearch.Index({ dimensions: dim, metric: usearch.MetricKind.IP, quantization: usearch.ScalarKind.F32, connectivity: 8, expansion_add: 32, expansion_search: ef, multi: false });
const idx = mk(8);
idx.add(BigUint64Array.from({ length: n }, (_, i) => BigInt(i)), data, 2);
idx.save('/tmp/ann-probe/ef.usearch');
const qs = new Float32Array(100 * dim); for (let i = 0; i < qs.length; i++) qs[i] = Math.random() - 0.5;
const truth = usearch.exactSearch(data, qs, dim, 10, usearch.MetricKind.IP, 2) as usearch.BatchMatches;
for (const ef of [8, 64, 512]) {
  const v = mk(ef); v.view('/tmp/ann-probe/ef.usearch');
  let hit = 0;
  for (let i = 0; i < 100; i++) { const t = new Set(truth.get(i).keys); const r = v.search(qs.slice(i * dim, (i + 1) * dim), 10, 1); hit += [...r.keys].filter((k) => t.has(k)).length; }
  console.log('ef', ef, 'recall', hit / 1000);
}
