/**
 * `npm run bench`: runs every bench module in this folder (or those named in BENCH_ONLY,
 * comma-separated), prints each table and writes them all to bench/results.json.
 * Never part of `npm test`: timings are measured here, not asserted.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderTable } from '../src/present/table.js';
import type { BenchModule, BenchSection } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'types.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => !only || only.includes(name));

const results: Record<string, BenchSection[]> = {};
const failed: string[] = [];
for (const name of modules) {
  const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as { default?: BenchModule };
  // Shared helpers live here too; only modules with a default function are benches.
  if (typeof mod.default !== 'function') continue;
  process.stderr.write(`bench: ${name}...\n`);
  try {
    results[name] = await mod.default();
  } catch (err) {
    // Reported, and left out of results.json: a failed run must not erase the last good figures.
    process.stderr.write(`bench: ${name} failed: ${(err as Error).stack}\n`);
    failed.push(name);
    continue;
  }
  for (const section of results[name]!) {
    const headers = section.rows.length > 0 ? Object.keys(section.rows[0]!) : [];
    process.stdout.write(`\n## ${section.name}\n\n${renderTable(headers, section.rows.map((r) => headers.map((h) => r[h] ?? '')))}\n`);
    for (const note of section.notes ?? []) process.stdout.write(`  ${note}\n`);
  }
}

const out = path.join(here, 'results.json');
// A partial run (BENCH_ONLY) updates its own modules and keeps the others' last results.
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { results?: Record<string, unknown> }).results ?? {} : {};
writeFileSync(out, JSON.stringify({
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  results: { ...previous, ...results },
}, null, 2) + '\n');
process.stderr.write(`\nwrote ${path.relative(process.cwd(), out)}\n`);
if (failed.length > 0) {
  process.stderr.write(`bench: failed: ${failed.join(', ')} (their last results were kept)\n`);
  process.exitCode = 1;
}
