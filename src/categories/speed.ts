/**
 * Per-query speed-up of the category gate on a large collection, built from a real one:
 * the real codes and labels, plus synthetic images up to `images` (each a real code plus
 * noise, re-normalised, carrying the labels of the image it was made from). Two label
 * layouts: 'dataset' keeps the real classes (a collection as narrow as the real one), and
 * 'spread' shifts each synthetic image's classes by a random multiple of 100 (mod 1000),
 * as if the collection covered all of ImageNet. Scan time does not depend on code values,
 * only the candidate counts do, and those come from real predictions.
 *
 * Timed per query: ungated = exact scan of every code (SIMD); gated = gate decision
 * (inverted-index union) + scan of the candidates. The gate also costs a classifier pass
 * for an outside query, run beside the encoder as Collection.search runs it; that is measured
 * on real images and folded into the end-to-end figure.
 */
import type { Collection } from '../collection.js';
import { exactTopK } from '../search/exact.js';
import type { CodeMatrix, LabelRows } from '../store/catalogue.js';
import { integerInRange } from '../validate.js';
import { describeRule, gateRule, predictedGate, type GateRuleOptions } from './gate.js';
import { LabelIndex } from './label-index.js';
import { labeller, labelSettings } from './labels.js';
import { predictQuery, storedPredictions } from './search-gate.js';
import { seededRandom } from '../random.js';

export type LabelLayout = 'dataset' | 'spread';

export interface GateSpeedOptions extends GateRuleOptions {
  images?: number;
  queries?: number;
  k?: number;
  layouts?: readonly LabelLayout[];
  seed?: number;
}

export interface GateSpeedRow {
  layout: LabelLayout;
  images: number;
  meanCandidates: number;
  fullScanMs: number;
  gatedMs: number;
  /** fullScanMs / gatedMs: the search step alone. */
  scanSpeedup: number;
  /** (encode + full scan) / (encode beside classify + gated) for an outside query. */
  endToEndSpeedup: number;
}

export interface GateSpeedReport {
  realImages: number;
  dim: number;
  queries: number;
  /** Which of the query's categories open the gate, in words. */
  rule: string;
  k: number;
  encodeMs: number;
  /** Encoder and classifier run side by side on the query, as a gated search does. */
  encodeAndClassifyMs: number;
  rows: GateSpeedRow[];
}


function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
}

function synthesise(real: CodeMatrix, total: number, random: () => number): { matrix: CodeMatrix; source: Int32Array } {
  const { dim } = real;
  const n = real.ids.length;
  const data = new Float32Array(total * dim);
  data.set(real.data.subarray(0, n * dim));
  const source = new Int32Array(total);
  for (let r = 0; r < n; r++) source[r] = r;
  for (let r = n; r < total; r++) {
    const s = Math.floor(random() * n);
    source[r] = s;
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = real.data[s * dim + j]! + (random() - 0.5) * 0.05;
      data[r * dim + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[r * dim + j]! *= inv;
  }
  return { matrix: { ids: Int32Array.from({ length: total }, (_, i) => i), dim, data }, source };
}

/** Label rows keyed by row number (ids of the synthetic matrix are its rows). */
function syntheticLabels(realByRow: ReadonlyArray<ReadonlyArray<{ c: number; p: number }>>, source: Int32Array, layout: LabelLayout, random: () => number): LabelRows {
  const ids: number[] = [];
  const classes: number[] = [];
  const probabilities: number[] = [];
  for (let r = 0; r < source.length; r++) {
    const shift = layout === 'spread' && r >= realByRow.length ? 100 * Math.floor(random() * 10) : 0;
    for (const { c, p } of realByRow[source[r]!]!) {
      ids.push(r);
      classes.push((c + shift) % 1000);
      probabilities.push(p);
    }
  }
  return { imageIds: Int32Array.from(ids), classIndexes: Int32Array.from(classes), probabilities: Float32Array.from(probabilities) };
}

export async function measureGateSpeed(collection: Collection, options: GateSpeedOptions = {}): Promise<GateSpeedReport> {
  const images = integerInRange('images', options.images ?? 100_000, 2, 10_000_000);
  const queries = integerInRange('queries', options.queries ?? 100, 1, 100_000);
  const rule = gateRule(options);
  const k = integerInRange('k', options.k ?? 10, 1, 10_000);
  const random = seededRandom(options.seed ?? 1);
  const settings = labelSettings(await collection.settings());
  const { classes } = await labeller(settings.model);

  const real = await collection.codes();
  const n = real.ids.length;
  const rowOfId = new Map<number, number>();
  real.ids.forEach((id, row) => rowOfId.set(id, row));
  const stored = await collection.store.loadLabels();
  const realByRow: Array<Array<{ c: number; p: number }>> = Array.from({ length: n }, () => []);
  stored.imageIds.forEach((id, i) => {
    const row = rowOfId.get(id);
    if (row !== undefined) realByRow[row]!.push({ c: stored.classIndexes[i]!, p: stored.probabilities[i]! });
  });

  const { matrix, source } = synthesise(real, Math.max(images, n), random);
  const queryRows = Array.from({ length: queries }, () => Math.floor(random() * n));
  const predictions = [];
  for (const row of queryRows) predictions.push(await storedPredictions(collection, real.ids[row]!));

  // Outside-query costs, on a few real images: encoding (ungated) and encoding beside classifying (gated).
  const encodeTimes: number[] = [];
  const bothTimes: number[] = [];
  const sampleRecords = await collection.store.getImages(Array.from(real.ids.slice(0, Math.min(8, n))));
  for (const r of sampleRecords) {
    const bytes = await collection.readImage(r.path);
    let t = performance.now();
    await collection.encodeImage(bytes);
    encodeTimes.push(performance.now() - t);
    t = performance.now();
    await Promise.all([collection.encodeImage(bytes), predictQuery(collection, bytes)]);
    bothTimes.push(performance.now() - t);
  }
  const encodeMs = median(encodeTimes.slice(1));
  const encodeAndClassifyMs = median(bothTimes.slice(1));

  const rows: GateSpeedRow[] = [];
  for (const layout of options.layouts ?? ['dataset', 'spread']) {
    const index = new LabelIndex(syntheticLabels(realByRow, source, layout, random));
    const full: number[] = [];
    const gated: number[] = [];
    let candidates = 0;
    for (let q = -3; q < queries; q++) {
      const i = Math.max(0, q);
      const row = queryRows[i]!;
      const code = matrix.data.slice(row * matrix.dim, (row + 1) * matrix.dim);
      const exclude = new Set([row]);
      let t = performance.now();
      exactTopK(matrix, code, k, { excludeRows: exclude });
      const fullMs = performance.now() - t;
      t = performance.now();
      const decision = predictedGate(index, classes, predictions[i]!, { ...options, k, excludeIds: [row], total: matrix.ids.length });
      exactTopK(matrix, code, k, { excludeRows: exclude, ...(decision.candidateIds ? { rows: decision.candidateIds } : {}) });
      const gatedMs = performance.now() - t;
      if (q < 0) continue; // warm-up
      full.push(fullMs);
      gated.push(gatedMs);
      candidates += decision.gate.candidates;
    }
    const fullScanMs = median(full);
    const gatedMs = median(gated);
    rows.push({
      layout,
      images: matrix.ids.length,
      meanCandidates: candidates / queries,
      fullScanMs,
      gatedMs,
      scanSpeedup: fullScanMs / gatedMs,
      endToEndSpeedup: (encodeMs + fullScanMs) / (encodeAndClassifyMs + gatedMs),
    });
  }
  return { realImages: n, dim: matrix.dim, queries, rule: describeRule(rule), k, encodeMs, encodeAndClassifyMs, rows };
}
