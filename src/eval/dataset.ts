/**
 * Labelled folders: a folder of class folders (`<root>/<class>/.../image.jpg`) gives each
 * image the label of its top-level folder; outside queries come with a TSV of file + label.
 */
import { createHash } from 'node:crypto';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Collection } from '../collection.js';
import type { Recipe } from '../encode/recipe.js';
import { recipeEncoderId } from '../encode/recipe.js';
import { SimiliError } from '../errors.js';
import type { CodeMatrix } from '../store/catalogue.js';
import { queryExpansionRanker } from '../search/expansion.js';
import { leaveOneOut, outsideQueries, type EvalReport, type Ranker } from './evaluate.js';

export function labelOf(cataloguePath: string): string | null {
  const slash = cataloguePath.indexOf('/');
  return slash > 0 && !cataloguePath.startsWith('/') ? cataloguePath.slice(0, slash) : null;
}

export interface LabelledQuery {
  file: string;
  label: string;
}

/**
 * A TSV with a header naming a `file` (or `path`) column and a `label` column; files are
 * relative to the TSV's folder, or found by name in `queriesDir`.
 */
export async function readQueryLabels(tsvFile: string, queriesDir?: string): Promise<LabelledQuery[]> {
  const text = await fs.readFile(tsvFile, 'utf8').catch((err: Error) => {
    throw new SimiliError('NOT_FOUND', `Cannot read labels ${tsvFile}: ${err.message}`);
  });
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split('\t').map((h) => h.trim().toLowerCase());
  const fileCol = header.findIndex((h) => h === 'file' || h === 'path');
  const labelCol = header.indexOf('label');
  if (fileCol < 0 || labelCol < 0) {
    throw new SimiliError('INVALID_PARAMETER', `Labels ${tsvFile} needs a header with "file" and "label" columns, found: ${header.join(', ')}`);
  }
  return lines.map((line) => {
    const cols = line.split('\t');
    const name = cols[fileCol]!.trim();
    const nearTsv = path.resolve(path.dirname(tsvFile), name);
    const inDir = queriesDir ? path.resolve(queriesDir, path.basename(name)) : nearTsv;
    return { file: existsSync(nearTsv) ? nearTsv : inDir, label: cols[labelCol]!.trim() };
  });
}

/** Where `simili eval` keeps the collection it builds for a folder, so a second run is instant. */
export function evalCollectionDir(folder: string, recipe: Recipe): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const key = createHash('sha256').update(path.resolve(folder)).update('\0').update(recipeEncoderId(recipe)).update(JSON.stringify(recipe.post)).digest('hex').slice(0, 16);
  return path.join(base, 'simili', 'eval', key);
}

export interface DatasetEval {
  /** Images that have a label and a code. */
  evaluated: number;
  classes: number;
  leaveOneOut: EvalReport;
  outside?: EvalReport & { files: string[] };
}

/** The labelled rows of a collection's code matrix (unlabelled images stay as distractors? no: eval needs labels). */
export async function labelledMatrix(collection: Collection): Promise<{ matrix: CodeMatrix; labels: string[] }> {
  const matrix = await collection.codes();
  const records = await collection.store.getImages(Array.from(matrix.ids));
  const labelById = new Map(records.map((r) => [r.id, labelOf(r.path)]));
  const keep: number[] = [];
  const labels: string[] = [];
  matrix.ids.forEach((id, row) => {
    const label = labelById.get(id);
    if (label) {
      keep.push(row);
      labels.push(label);
    }
  });
  if (keep.length === matrix.ids.length) return { matrix, labels };
  const data = new Float32Array(keep.length * matrix.dim);
  keep.forEach((row, i) => data.set(matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim), i * matrix.dim));
  return { matrix: { ids: Int32Array.from(keep.map((r) => matrix.ids[r]!)), dim: matrix.dim, data }, labels };
}

export async function evaluateCollection(
  collection: Collection,
  options: { queries?: LabelledQuery[]; ranker?: (matrix: CodeMatrix) => Ranker } = {},
): Promise<DatasetEval> {
  const { matrix, labels } = await labelledMatrix(collection);
  if (matrix.ids.length < 2) {
    throw new SimiliError('INVALID_PARAMETER', `Evaluation needs a folder of class folders with at least 2 images; found ${matrix.ids.length} labelled`);
  }
  // Without another ranker, rank exactly as search does: with query expansion when the recipe has it.
  const qe = (await collection.recipe())?.search?.queryExpansion;
  const ranker = options.ranker?.(matrix) ?? (qe ? queryExpansionRanker(matrix, qe) : undefined);
  const result: DatasetEval = {
    evaluated: matrix.ids.length,
    classes: new Set(labels).size,
    leaveOneOut: await leaveOneOut(matrix, labels, ranker),
  };
  if (options.queries && options.queries.length > 0) {
    const coded = [];
    for (const q of options.queries) coded.push({ code: (await collection.queryCode({ path: q.file })).code, label: q.label });
    result.outside = { ...(await outsideQueries(matrix, labels, coded, ranker)), files: options.queries.map((q) => q.file) };
  }
  return result;
}
