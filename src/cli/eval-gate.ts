/** `eval --by-category`: the gate's recall and quality, and its speed-up at scale. */
import type { Collection } from '../collection.js';
import { evaluateGate, type GateEvalReport } from '../categories/evaluate.js';
import { measureGateSpeed, type GateSpeedReport } from '../categories/speed.js';
import type { GateRuleOptions } from '../categories/gate.js';
import { renderTable } from '../present/table.js';

export interface GateMeasurement {
  quality: GateEvalReport;
  speed: GateSpeedReport;
}

export async function measureGate(collection: Collection, options: GateRuleOptions, images: number): Promise<GateMeasurement> {
  const quality = await evaluateGate(collection, options);
  const speed = await measureGateSpeed(collection, { ...options, images });
  return { quality, speed };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

export function printGate({ quality: q, speed: s }: GateMeasurement): void {
  const out = [
    '',
    `category gate (${q.rule}, widening below ${q.k} candidates), leave-one-out over ${q.queries} queries:`,
    renderTable(['gate recall', 'class kept', 'true class in gate', 'widened', 'candidates'], [[
      pct(q.gateRecall), pct(q.classKept), q.trueClassInGate === null ? '-' : pct(q.trueClassInGate), pct(q.widened),
      `${q.meanCandidates.toFixed(1)} (${pct(q.candidateFraction)})`,
    ]]),
    renderTable(['search', 'P@1', 'hits@10', 'mAP'], [
      ['all images', q.ungated.p1.toFixed(3), q.ungated.hits10.toFixed(2), q.ungated.map.toFixed(3)],
      ['gated', q.gated.p1.toFixed(3), q.gated.hits10.toFixed(2), q.gated.map.toFixed(3)],
    ]),
    '',
    `speed per query at ${s.rows[0]?.images ?? 0} images (${s.realImages} real + synthetic, ${s.dim} dimensions, median of ${s.queries} queries):`,
    renderTable(['labels', 'candidates', 'full scan ms', 'gated ms', 'scan speed-up', 'end-to-end speed-up'], s.rows.map((r) => [
      r.layout === 'dataset' ? 'as in this dataset' : 'spread over 1000 classes',
      r.meanCandidates.toFixed(0), r.fullScanMs.toFixed(2), r.gatedMs.toFixed(2), `${r.scanSpeedup.toFixed(1)}x`, `${r.endToEndSpeedup.toFixed(2)}x`,
    ])),
    `(end-to-end for an outside query: encode beside classify ${s.encodeAndClassifyMs.toFixed(0)} ms + gated scan, vs encode ${s.encodeMs.toFixed(0)} ms + full scan; for a query by id the scan speed-up is the whole speed-up)`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}
