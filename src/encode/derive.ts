/**
 * Models derived from a public classifier (manifest `download`): the downloaded file is
 * checked against its sha256, rewritten (onnx-graph.ts), tried once in onnxruntime, and moved
 * into the cache under a name of its own (`<id>/<zoo name>.simili.onnx`, never the shared
 * backbone's name, whose checksum it does not have). A sidecar JSON records the derived
 * file's sha256 and what it was made from, so later runs verify it like any manifest file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SimiliError, errorMessage, isSimiliError } from '../errors.js';
import type { DownloadSource, ModelAsset, ModelEntry } from './manifest.js';
import { exposeFeatures } from './onnx-graph.js';
import { openSession } from './onnx.js';

/** Bump when the rewrite changes: older derived files are then made again from the source. */
export const REWRITE_VERSION = 1;

interface Sidecar {
  rewrite: number;
  model: string;
  source: { file: string; sha256: string; bytes: number };
  sha256: string;
  bytes: number;
}

/** The entry's download source, or null when the model has none. */
export function downloadSourceOf(entry: ModelEntry): DownloadSource | null {
  return entry.download ?? null;
}

/** Path of the derived file relative to a cache directory (POSIX separators). */
export function derivedFileOf(entry: ModelEntry, source: DownloadSource): string {
  const base = path.posix.basename(source.file).replace(/\.onnx$/i, '');
  return `${path.posix.dirname(entry.file)}/${base}.simili.onnx`;
}

function sidecarPath(file: string): string {
  return file.replace(/\.onnx$/i, '.json');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The derived file in `cacheDir`, as an asset whose checksum comes from its sidecar; null when
 * there is none made from this source by this rewrite (then it must be derived again).
 */
export async function derivedAsset(entry: ModelEntry, source: DownloadSource, cacheDir: string): Promise<(ModelAsset & { path: string }) | null> {
  const relative = derivedFileOf(entry, source);
  const file = path.resolve(cacheDir, ...relative.split('/'));
  let sidecar: Partial<Sidecar>;
  try {
    sidecar = JSON.parse(await readFile(sidecarPath(file), 'utf8')) as Partial<Sidecar>;
  } catch {
    return null;
  }
  if (
    sidecar.rewrite !== REWRITE_VERSION ||
    sidecar.model !== entry.id ||
    sidecar.source?.sha256 !== source.sha256 ||
    typeof sidecar.sha256 !== 'string' ||
    typeof sidecar.bytes !== 'number'
  ) {
    return null;
  }
  return { file: relative, sha256: sidecar.sha256, bytes: sidecar.bytes, url: null, path: file };
}

/**
 * Rewrites the verified source file into the cache; returns the derived file's path.
 * Throws CHECKSUM_MISMATCH when `sourceFile` is not the manifest's file, MODEL_UNAVAILABLE
 * when its graph cannot be rewritten or does not run.
 */
export async function deriveModel(entry: ModelEntry, source: DownloadSource, sourceFile: string, cacheDir: string): Promise<string> {
  const bytes = await readFile(sourceFile);
  // Hash what is rewritten, not what was checked earlier: the file could have changed since.
  const actual = sha256(bytes);
  if (actual !== source.sha256 || bytes.length !== source.bytes) {
    throw new SimiliError(
      'CHECKSUM_MISMATCH',
      `${sourceFile} is not ${source.file}: expected ${source.bytes} bytes with sha256 ${source.sha256}, ` +
        `found ${bytes.length} bytes with sha256 ${actual}. Replace or delete it.`,
    );
  }
  const derived = exposeFeatures(bytes, {
    sourceInput: source.input,
    featureTensor: source.features,
    logitsTensor: source.logits,
    inputName: entry.input.name,
    outputs: entry.outputs,
    metadata: {
      'simili.model': entry.id,
      'simili.derived_from': source.url,
      'simili.source_sha256': source.sha256,
      'simili.rewrite': String(REWRITE_VERSION),
    },
  });

  const relative = derivedFileOf(entry, source);
  const dest = path.resolve(cacheDir, ...relative.split('/'));
  await mkdir(path.dirname(dest), { recursive: true });
  // Beside the destination, so rename() is atomic; a crash leaves only a .part file.
  const temp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  try {
    await writeFile(temp, derived, { flag: 'wx' });
    await checkDerived(entry, temp);
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const sidecar: Sidecar = {
    rewrite: REWRITE_VERSION,
    model: entry.id,
    source: { file: source.file, sha256: source.sha256, bytes: source.bytes },
    sha256: sha256(derived),
    bytes: derived.length,
  };
  // Written after the model: a model without a matching sidecar is simply derived again.
  const sideTemp = `${sidecarPath(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  await writeFile(sideTemp, `${JSON.stringify(sidecar, null, 2)}\n`);
  await rename(sideTemp, sidecarPath(dest));
  return dest;
}

/**
 * Runs the rewritten graph once at the native size with a batch of two and once at another,
 * non-square size: proves the inner tensor is the feature map the manifest says (C channels),
 * that batches work, and that symbolic input sizes are accepted, before anything is cached.
 * Logits are checked at the native size only: zoo classifiers may end in a fixed-size pool.
 */
async function checkDerived(entry: ModelEntry, file: string): Promise<void> {
  const session = await openSession(file, { threads: 1 });
  try {
    const native = entry.input.nativeSize;
    const { features, embedding, logits } = entry.outputs;
    for (const [n, h, w] of [[2, native, native], [1, Math.round(native * 0.75), native]] as const) {
      const withLogits = logits !== undefined && h === native && w === native;
      const names = [features, embedding, ...(withLogits ? [logits] : [])];
      const input = new ort.Tensor('float32', new Float32Array(n * 3 * h * w), [n, 3, h, w]);
      let result: ort.InferenceSession.OnnxValueMapType;
      try {
        result = await session.run({ [entry.input.name]: input }, names);
      } catch (err) {
        throw new SimiliError('MODEL_UNAVAILABLE', `The model derived for ${entry.id} does not run on a ${n}x3x${h}x${w} input: ${errorMessage(err)}`, { cause: err });
      }
      const dims = (name: string): readonly number[] => result[name]?.dims ?? [];
      const expected: [string, number[]][] = [
        [features, [n, entry.dim, -1, -1]],
        [embedding, [n, entry.dim]],
        ...(withLogits ? [[logits, [n, entry.classNames?.count ?? -1]] as [string, number[]]] : []),
      ];
      for (const [name, want] of expected) {
        const got = dims(name);
        if (got.length !== want.length || want.some((d, i) => d !== -1 && got[i] !== d)) {
          throw new SimiliError(
            'MODEL_UNAVAILABLE',
            `The model derived for ${entry.id} gives ${name} [${got.join(', ')}] for a ${n}x3x${h}x${w} input; ` +
              `expected [${want.map((d) => (d === -1 ? '?' : d)).join(', ')}]`,
          );
        }
      }
    }
  } catch (err) {
    if (isSimiliError(err)) throw err;
    throw new SimiliError('MODEL_UNAVAILABLE', `Could not check the model derived for ${entry.id}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await session.release();
  }
}
