import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaveOneOut } from '../src/eval/evaluate.js';
import { aggregate, queryMetrics } from '../src/eval/metrics.js';

test('query metrics on a hand-checked ranking', () => {
  // Relevant at ranks 1, 3 and 6; 4 relevant items exist in all (one never retrieved).
  const m = queryMetrics('a', ['a', 'b', 'a', 'b', 'b', 'a', 'b', 'b', 'b', 'b', 'b'], 4);
  assert.equal(m.p1, 1);
  assert.equal(m.hits10, 3);
  assert.equal(m.p10, 0.3);
  assert.ok(Math.abs(m.ap - (1 / 1 + 2 / 3 + 3 / 6) / 4) < 1e-12);
  const miss = queryMetrics('a', ['b', 'a'], 1);
  assert.equal(miss.p1, 0);
  assert.equal(miss.ap, 0.5);
  const agg = aggregate([m, miss]);
  assert.equal(agg.queries, 2);
  assert.equal(agg.p1, 0.5);
});

test('leave-one-out on a tiny set with known answers', async () => {
  // Two tight clusters on the axes: every query's neighbours are its own class first.
  const rows = [[1, 0], [0.99, 0.141], [0.98, 0.199], [0, 1], [0.141, 0.99], [0.199, 0.98]];
  const data = new Float32Array(rows.flat());
  const labels = ['x', 'x', 'x', 'y', 'y', 'y'];
  const report = await leaveOneOut({ ids: Int32Array.from([1, 2, 3, 4, 5, 6]), dim: 2, data }, labels);
  assert.equal(report.overall.p1, 1);
  assert.equal(report.overall.map, 1);
  assert.equal(report.overall.hits10, 2);
  assert.deepEqual(report.perClass.map((c) => c.label), ['x', 'y']);
  // Swap one label: that image's own queries now rank the wrong class first.
  const swapped = await leaveOneOut({ ids: Int32Array.from([1, 2, 3, 4, 5, 6]), dim: 2, data }, ['x', 'x', 'y', 'y', 'y', 'x']);
  assert.ok(swapped.overall.map < 1);
});
