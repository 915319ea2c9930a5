/**
 * Query latency through the HTTP API (`simili serve`): p50/p95 of ~200 requests from 4
 * concurrent clients against a real server on 127.0.0.1, over corel-1k indexed with the
 * default recipe. The collection is cached in /tmp (SIMILI_SERVE_BENCH_CACHE) between runs.
 * Run alone: `BENCH_ONLY=serve npm run bench`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collection } from '../src/collection.js';
import { startServer } from '../src/server/serve.js';
import type { BenchSection } from './types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS_DIR = process.env.SIMILI_DATASETS_DIR ?? path.resolve(ROOT, '..', 'shared', 'datasets');
process.env.SIMILI_MODELS_DIR ??= path.resolve(ROOT, '..', 'shared', 'models');
const CACHE = process.env.SIMILI_SERVE_BENCH_CACHE ?? path.join(os.tmpdir(), 'simili-bench-serve', 'corel-1k');
const REQUESTS = Number(process.env.SIMILI_SERVE_BENCH_REQUESTS ?? 200);

interface Scenario {
  name: string;
  clients: number;
  /** The i-th request. */
  request: (i: number) => { path: string; init?: RequestInit };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function load(base: string, s: Scenario, total: number): Promise<Record<string, string | number>> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const client = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const { path: p, init } = s.request(i);
      const t0 = performance.now();
      const res = await fetch(base + p, init);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (!res.ok) failures++;
    }
  };
  await Promise.all(Array.from({ length: s.clients }, client));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    request: s.name,
    clients: s.clients,
    requests: total,
    failed: failures,
    'p50 ms': Number(percentile(latencies, 50).toFixed(1)),
    'p95 ms': Number(percentile(latencies, 95).toFixed(1)),
    'max ms': Number(latencies[latencies.length - 1]!.toFixed(1)),
    'req/s': Number((total / seconds).toFixed(1)),
  };
}

export default async function (): Promise<BenchSection[]> {
  const images = path.join(DATASETS_DIR, 'corel-1k', 'images');
  const collection = await Collection.open(CACHE, { create: true, encoder: { allowDownload: false } });
  const indexed = await collection.index(images, { batchSize: 8 });
  const queriesDir = path.join(DATASETS_DIR, 'corel-1k', 'unlabelled-queries');
  const uploads = readdirSync(queriesDir).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f) => readFileSync(path.join(queriesDir, f)));
  const ids = (await collection.images({ status: 'indexed' })).map((r) => r.id);
  const server = await startServer(collection, { host: '127.0.0.1', port: 0 });
  const base = server.url.replace(/\/$/, '');
  try {
    const upload = (i: number): { path: string; init: RequestInit } => ({
      path: '/api/search?k=20',
      init: { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: uploads[i % uploads.length]! },
    });
    const byId = (i: number): { path: string } => ({ path: `/api/search?k=20&id=${ids[(i * 37) % ids.length]}` });
    const thumb = (i: number): { path: string } => ({ path: `/api/images/${ids[(i * 13) % ids.length]}/thumb` });
    // Warm-up: model loaded, codes in memory, thumbnails path exercised once.
    await load(base, { name: 'warm-up', clients: 2, request: upload }, 6);
    await load(base, { name: 'warm-up', clients: 2, request: byId }, 6);
    const scenarios: Scenario[] = [
      { name: 'upload (POST image/jpeg, k=20)', clients: 1, request: upload },
      { name: 'upload (POST image/jpeg, k=20)', clients: 4, request: upload },
      { name: 'by id (GET ?id=, k=20)', clients: 4, request: byId },
      { name: 'thumbnail (GET /api/images/:id/thumb)', clients: 4, request: thumb },
    ];
    const rows = [];
    const loadBefore = os.loadavg()[0]!;
    for (const s of scenarios) rows.push(await load(base, s, s.clients === 1 ? Math.ceil(REQUESTS / 4) : REQUESTS));
    const loadAfter = os.loadavg()[0]!;
    const info = await collection.info();
    return [
      {
        name: 'serve: query latency through the HTTP API',
        rows,
        notes: [
          `corel-1k: ${info.indexed} images, ${info.encoderId} (${info.dim}-d), exact scan; collection cached in ${CACHE}` +
            (indexed.indexed > 0 ? ` (indexed ${indexed.indexed} this run in ${indexed.seconds.toFixed(0)} s)` : ''),
          `server and clients in one process on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), HTTP/1.1 keep-alive via fetch; ` +
            `uploads cycle through the ${uploads.length} corel-1k unlabelled-queries (JPEG, ~384x256); latency = request sent to body read.`,
          // Other work on the machine inflates every number: say how busy it was.
          `1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after.`,
        ],
      },
    ];
  } finally {
    await server.close(1000);
    await collection.close();
  }
}
