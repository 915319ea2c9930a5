/**
 * Image bytes from an http(s) URL, with the limits a server-side fetch needs:
 * a timeout, a byte limit enforced while streaming, a content-type check, and
 * retries with backoff for transient failures (network errors, 5xx, 429).
 */
import { SimiliError } from '../errors.js';

export interface FetchImageOptions {
  timeoutMs?: number;
  maxBytes?: number;
  retries?: number;
  /** Injected for tests; defaults to global fetch. */
  fetchImpl?: typeof fetch;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 20_000;
export const DEFAULT_FETCH_MAX_BYTES = 50 * 1024 * 1024;

class Permanent extends SimiliError {}

export async function fetchImage(url: string, options: FetchImageOptions = {}): Promise<Buffer> {
  const retries = options.retries ?? 2;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    try {
      return await fetchOnce(url, options);
    } catch (err) {
      lastError = err;
      if (err instanceof Permanent) break;
    }
  }
  if (lastError instanceof SimiliError) throw lastError;
  throw new SimiliError('DOWNLOAD_FAILED', `Cannot download ${url}: ${(lastError as Error).message}`, { cause: lastError });
}

async function fetchOnce(url: string, options: FetchImageOptions): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_FETCH_MAX_BYTES;
  const doFetch = options.fetchImpl ?? fetch;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    // Some image hosts refuse requests without a user agent or that do not accept images.
    res = await doFetch(url, { signal, redirect: 'follow', headers: { 'user-agent': 'simili (+https://github.com/simili)', accept: 'image/*,*/*;q=0.5' } });
  } catch (err) {
    if (signal.aborted) throw new SimiliError('DOWNLOAD_FAILED', `Timed out after ${timeoutMs} ms downloading ${url}`);
    throw err;
  }
  if (!res.ok) {
    const transient = res.status >= 500 || res.status === 429;
    const Err = transient ? SimiliError : Permanent;
    throw new Err('DOWNLOAD_FAILED', `HTTP ${res.status} for ${url}`);
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  // Servers often send octet-stream for images; the decoder's magic-byte check has the last word.
  if (type && !type.startsWith('image/') && type !== 'application/octet-stream') {
    throw new Permanent('UNSUPPORTED_FORMAT', `${url} is ${type}, not an image`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new Permanent('DOWNLOAD_FAILED', `${url} is ${declared} bytes, over the ${maxBytes}-byte limit`);
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) throw new Permanent('DOWNLOAD_FAILED', `${url} is over the ${maxBytes}-byte limit`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof SimiliError) throw err;
    if (signal.aborted) throw new SimiliError('DOWNLOAD_FAILED', `Timed out after ${timeoutMs} ms downloading ${url}`);
    throw err;
  }
  return Buffer.concat(chunks);
}
