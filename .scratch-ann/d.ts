import usearch from 'usearch';
import { AnnIndex, annSettings } from '../src/search/ann.js';
import { exactTopK } from '../src/search/exact.js';
const n = 3000, dim = 48;
const data = new Float32Array(n*dim); for (let i=0;i<data.length;i++) data[i]=Math.random();
for (let i=0;i<n;i++){let s=0;for(let j=0;j<dim;j++)s+=data[i*dim+j]**2;s=Math.sqrt(s);for(let j=0;j<dim;j++)data[i*dim+j]/=s;}
const ids = Int32Array.from({length:n},(_,i)=>i+1);
const ann = new AnnIndex(dim, annSettings({quantisation:'f32'}));
ann.add(ids, data, 1);
const q = data.subarray(0, dim);
console.log(ann.search(q, 5));
console.log(exactTopK({ids, dim, data}, q, 5));
const r = usearch.exactSearch(data, q, dim, 5, usearch.MetricKind.IP, 0); console.log(r);
