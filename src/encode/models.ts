/**
 * Finding model files. Lookup order: an explicit path (`--model`), the models directory
 * (option, else env SIMILI_MODELS_DIR), the user's cache directory; if none has the file,
 * download it into the cache. Every file is checked against the manifest's sha256 once per
 * process before use. A model whose own file has no public copy is derived from the public
 * classifier its manifest entry names (`download`, see derive.ts), also into the cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SimiliError, errorMessage, invalidParameter, isSimiliError } from '../errors.js';
import { derivedAsset, deriveModel } from './derive.js';
import { downloadAsset, type DownloadProgress } from './download.js';
import type { DownloadSource, ModelAsset, ModelEntry } from './manifest.js';

export interface ModelLookupOptions {
  /** Explicit file for this asset; when given, nothing else is searched. */
  modelPath?: string;
  /** Directory laid out like the manifest (`<id>/<file>`); default env SIMILI_MODELS_DIR. */
  modelsDir?: string;
  /** Download cache; default `$XDG_CACHE_HOME/simili/models` or `~/.cache/simili/models`. */
  cacheDir?: string;
  /** Download into the cache when no directory has the file (default true). */
  allowDownload?: boolean;
  /** Base URL of a mirror laid out like the manifest; default env SIMILI_MODELS_URL, else the asset's url. */
  baseUrl?: string;
  onDownloadProgress?: DownloadProgress;
}

/** `derived`: rewritten just now from the entry's public classifier (found or downloaded). */
export type ModelSource = 'explicit' | 'models-dir' | 'cache' | 'download' | 'derived';

export interface ResolvedAsset {
  path: string;
  source: ModelSource;
}

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'simili', 'models');
}

function modelsDirOf(options: ModelLookupOptions): string | null {
  const dir = options.modelsDir ?? process.env.SIMILI_MODELS_DIR;
  return dir !== undefined && dir !== '' ? dir : null;
}

function downloadUrlOf(asset: ModelAsset, options: ModelLookupOptions): string | null {
  const base = options.baseUrl ?? process.env.SIMILI_MODELS_URL;
  if (base !== undefined && base !== '') return `${base.replace(/\/+$/, '')}/${asset.file}`;
  return asset.url;
}

function checkOptions(options: ModelLookupOptions): void {
  for (const key of ['modelPath', 'modelsDir', 'cacheDir', 'baseUrl'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw invalidParameter(key, 'a non-empty string', value);
    }
  }
  if (options.allowDownload !== undefined && typeof options.allowDownload !== 'boolean') {
    throw invalidParameter('allowDownload', 'a boolean', options.allowDownload);
  }
  if (options.onDownloadProgress !== undefined && typeof options.onDownloadProgress !== 'function') {
    throw invalidParameter('onDownloadProgress', 'a function', options.onDownloadProgress);
  }
}

/**
 * Locate (or download) one manifest file and verify it. Throws NOT_FOUND for a missing
 * explicit path, CHECKSUM_MISMATCH for a found file with other contents, MODEL_UNAVAILABLE
 * (with instructions) when it cannot be had.
 */
export async function resolveAsset(asset: ModelAsset, options: ModelLookupOptions = {}): Promise<ResolvedAsset> {
  checkOptions(options);
  if (options.modelPath !== undefined) {
    const file = path.resolve(options.modelPath);
    if (!(await isFile(file))) throw new SimiliError('NOT_FOUND', `Model file not found: ${file}`);
    await verifyFile(file, asset);
    return { path: file, source: 'explicit' };
  }
  const relative = asset.file.split('/');
  const modelsDir = modelsDirOf(options);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const candidates: ResolvedAsset[] = [];
  if (modelsDir !== null) candidates.push({ path: path.resolve(modelsDir, ...relative), source: 'models-dir' });
  candidates.push({ path: path.resolve(cacheDir, ...relative), source: 'cache' });
  for (const candidate of candidates) {
    if (await isFile(candidate.path)) {
      await verifyFile(candidate.path, asset);
      return candidate;
    }
  }

  const url = downloadUrlOf(asset, options);
  const explain = (reason: string): SimiliError =>
    new SimiliError('MODEL_UNAVAILABLE', unavailableMessage(asset, reason, path.resolve(cacheDir, ...relative), url));
  if (options.allowDownload === false) throw explain('downloading is turned off');
  if (url === null) throw explain('no download URL is configured (set SIMILI_MODELS_URL to a mirror)');
  try {
    const file = await downloadAsset(asset, { dir: cacheDir, url, onProgress: options.onDownloadProgress });
    verified.set(file, { key: await statKey(file), sha256: asset.sha256 });
    return { path: file, source: 'download' };
  } catch (err) {
    if (isSimiliError(err) && err.code === 'CHECKSUM_MISMATCH') throw err;
    throw new SimiliError(
      isSimiliError(err) && err.code === 'DOWNLOAD_FAILED' ? 'DOWNLOAD_FAILED' : 'MODEL_UNAVAILABLE',
      unavailableMessage(asset, errorMessage(err), path.resolve(cacheDir, ...relative), url),
      { cause: err },
    );
  }
}

/**
 * Locate a model graph. Order: the entry's own file (explicit path, models directory, cache);
 * a graph derived earlier into the cache; the entry's own file downloaded (its url or a
 * mirror); the public classifier of `entry.download` (models directory, cache, else
 * downloaded) rewritten into the cache. An explicit path may also be that public classifier.
 */
export async function resolveModel(entry: ModelEntry, options: ModelLookupOptions = {}): Promise<ResolvedAsset> {
  checkOptions(options);
  const source = entry.download;
  if (source === undefined) return resolveAsset(entry, options);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  if (options.modelPath !== undefined) return resolveExplicit(entry, source, options.modelPath, cacheDir);

  try {
    return await resolveAsset(entry, { ...options, allowDownload: false });
  } catch (err) {
    if (!isSimiliError(err) || err.code !== 'MODEL_UNAVAILABLE') throw err;
  }
  const derived = await findDerived(entry, source, cacheDir);
  if (derived !== null) return { path: derived, source: 'cache' };

  const reasons: string[] = [];
  if (options.allowDownload !== false && downloadUrlOf(entry, options) !== null) {
    try {
      return await resolveAsset(entry, options);
    } catch (err) {
      if (isSimiliError(err) && err.code === 'CHECKSUM_MISMATCH') throw err;
      reasons.push(errorMessage(err));
    }
  }
  let found: ResolvedAsset;
  try {
    found = await resolveAsset(source, options);
  } catch (err) {
    if (isSimiliError(err) && err.code === 'CHECKSUM_MISMATCH') throw err;
    const code = isSimiliError(err) && err.code === 'DOWNLOAD_FAILED' ? 'DOWNLOAD_FAILED' : 'MODEL_UNAVAILABLE';
    const own = reasons.length > 0 ? reasons.join('\n') : unavailableMessage(entry, 'no directory has it', path.resolve(cacheDir, ...entry.file.split('/')), downloadUrlOf(entry, options));
    throw new SimiliError(
      code,
      `Model ${entry.id} is not available.\n${own}\n` +
        `simili can also derive it from the public classifier ${path.posix.basename(source.file)}:\n${errorMessage(err)}`,
      { cause: err },
    );
  }
  return { path: await deriveModel(entry, source, found.path, cacheDir), source: 'derived' };
}

/** A derived file in the cache that its sidecar vouches for, or null. */
async function findDerived(entry: ModelEntry, source: DownloadSource, cacheDir: string): Promise<string | null> {
  const asset = await derivedAsset(entry, source, cacheDir);
  if (asset === null || !(await isFile(asset.path))) return null;
  try {
    await verifyFile(asset.path, asset);
    return asset.path;
  } catch (err) {
    // A damaged or half-replaced derived file is made again from the source.
    if (isSimiliError(err) && err.code === 'CHECKSUM_MISMATCH') return null;
    throw err;
  }
}

/** `--model` may name the entry's own file or the public classifier it is derived from. */
async function resolveExplicit(entry: ModelEntry, source: DownloadSource, modelPath: string, cacheDir: string): Promise<ResolvedAsset> {
  try {
    return await resolveAsset(entry, { modelPath });
  } catch (err) {
    const file = path.resolve(modelPath);
    if (!isSimiliError(err) || err.code !== 'CHECKSUM_MISMATCH' || (await sha256File(file)) !== source.sha256) throw err;
    const derived = await findDerived(entry, source, cacheDir);
    return { path: derived ?? (await deriveModel(entry, source, file, cacheDir)), source: derived !== null ? 'cache' : 'derived' };
  }
}

/** Says exactly which file to put where, since the user will have to do it by hand. */
export function unavailableMessage(asset: ModelAsset, reason: string, cachePath: string, url: string | null): string {
  const name = path.posix.basename(asset.file);
  const mb = (asset.bytes / 1e6).toFixed(1);
  return [
    `Model file ${asset.file} is not available: ${reason}.`,
    `Put ${name} (${mb} MB, sha256 ${asset.sha256}) at`,
    `  ${cachePath}`,
    `or set SIMILI_MODELS_DIR to a directory that contains ${asset.file}.`,
    url !== null ? `It can be downloaded from ${url}` : `No public copy with this checksum is known; set SIMILI_MODELS_URL to a mirror holding ${asset.file}.`,
  ].join('\n');
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Verified files: re-hashing 8.8 MB costs ~20 ms, once per process is enough unless the file changes. */
const verified = new Map<string, { key: string; sha256: string }>();

async function statKey(file: string): Promise<string> {
  const s = await stat(file);
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Throws CHECKSUM_MISMATCH unless `file` has the asset's sha256. */
export async function verifyFile(file: string, asset: ModelAsset): Promise<void> {
  const key = await statKey(file);
  const known = verified.get(file);
  if (known !== undefined && known.key === key && known.sha256 === asset.sha256) return;
  const sha256 = await sha256File(file);
  if (sha256 !== asset.sha256) {
    throw new SimiliError(
      'CHECKSUM_MISMATCH',
      `${file} is not ${asset.file}: its sha256 is ${sha256}, expected ${asset.sha256}. ` +
        `Replace or delete it.`,
    );
  }
  verified.set(file, { key, sha256 });
}
