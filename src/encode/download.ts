/**
 * Download one model file into a models directory: stream to a temporary file beside the
 * destination while hashing, check size and sha256, then rename — so a reader never sees a
 * partial or wrong file under the real name, and a failed download leaves nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { SimiliError, errorMessage } from '../errors.js';
import { integerInRange, nonEmptyString } from '../validate.js';
import type { ModelAsset } from './manifest.js';

export type DownloadProgress = (received: number, total: number | null) => void;

export interface DownloadOptions {
  /** Directory the file is written into, at `asset.file` relative to it. */
  dir: string;
  /** Overrides `asset.url` (a mirror, or a local server in tests). */
  url?: string;
  onProgress?: DownloadProgress;
  /** Give up when no byte arrives for this long (default 60 s): a stalled mirror must not hang indexing. */
  idleTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Resolves to the final path. Throws MODEL_UNAVAILABLE, DOWNLOAD_FAILED or CHECKSUM_MISMATCH. */
export async function downloadAsset(asset: ModelAsset, options: DownloadOptions): Promise<string> {
  const dir = nonEmptyString('dir', options.dir);
  const url = options.url ?? asset.url;
  if (url === null) {
    throw new SimiliError('MODEL_UNAVAILABLE', `No download URL is known for ${asset.file}`);
  }
  nonEmptyString('url', url);
  const idleTimeoutMs = integerInRange('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, 1, 3_600_000);
  const dest = path.join(dir, ...asset.file.split('/'));
  const abort = new AbortController();
  const idle = setTimeout(() => abort.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
  try {
    return await fetchInto(asset, url, dest, abort.signal, () => idle.refresh(), options.onProgress);
  } finally {
    clearTimeout(idle);
  }
}

async function fetchInto(
  asset: ModelAsset,
  url: string,
  dest: string,
  signal: AbortSignal,
  stillAlive: () => void,
  onProgress: DownloadProgress | undefined,
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (err) {
    // fetch rejects only when no HTTP exchange happened at all: offline, DNS, refused.
    throw new SimiliError('MODEL_UNAVAILABLE', `Could not reach ${url}: ${describeFetchError(err)}`, { cause: err });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new SimiliError('DOWNLOAD_FAILED', `Downloading ${url} failed: HTTP ${response.status} ${response.statusText}`);
  }
  const header = Number(response.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : asset.bytes;

  await mkdir(path.dirname(dest), { recursive: true });
  // Same directory as the destination, so rename() is atomic (never crosses a file system).
  const temp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  const hash = createHash('sha256');
  let received = 0;
  const file = await open(temp, 'wx');
  try {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        stillAlive();
        hash.update(chunk);
        await file.write(chunk);
        received += chunk.length;
        onProgress?.(received, total);
      }
    } catch (err) {
      throw new SimiliError('DOWNLOAD_FAILED', `Downloading ${url} failed after ${received} bytes: ${errorMessage(err)}`, { cause: err });
    } finally {
      await file.close();
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== asset.sha256 || received !== asset.bytes) {
      throw new SimiliError(
        'CHECKSUM_MISMATCH',
        `Refusing ${url}: expected ${asset.bytes} bytes with sha256 ${asset.sha256}, ` +
          `received ${received} bytes with sha256 ${sha256}. Nothing was saved.`,
      );
    }
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return dest;
}

function describeFetchError(err: unknown): string {
  // undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause = err instanceof Error ? err.cause : undefined;
  return cause !== undefined ? `${errorMessage(err)} (${errorMessage(cause)})` : errorMessage(err);
}
