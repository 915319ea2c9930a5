/** What `createApp` can be tuned with; every field has a default a local server is happy with. */
import os from 'node:os';
import { integerInRange } from '../validate.js';

export interface ServerOptions {
  /** Bearer token for the write endpoints; undefined keeps them off. */
  token?: string;
  /** Largest request body accepted (uploads), in bytes. */
  maxBodyBytes?: number;
  /** Per-request time budget, in ms; a slower request answers 503 TIMEOUT. */
  timeoutMs?: number;
  /** Let clients search by an http(s) URL the server downloads (turn off where SSRF matters). */
  allowUrlQueries?: boolean;
  /** Longer side of generated thumbnails, in pixels. */
  thumbnailSize?: number;
  /** Memory for thumbnails made on the fly, in bytes. */
  thumbnailCacheBytes?: number;
  /** Decodes/encodes running at once; more requests wait their turn (CPU-bound work). */
  maxConcurrentWork?: number;
  /** Largest `k` a search may ask for. */
  maxK?: number;
}

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'token'>> & { token: string | undefined };

export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;

export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  return {
    token: options.token === '' ? undefined : options.token,
    maxBodyBytes: integerInRange('maxBodyBytes', options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 1, 2 ** 31 - 1),
    timeoutMs: integerInRange('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 24 * 3600 * 1000),
    allowUrlQueries: options.allowUrlQueries ?? true,
    thumbnailSize: integerInRange('thumbnailSize', options.thumbnailSize ?? 256, 16, 2048),
    thumbnailCacheBytes: integerInRange('thumbnailCacheBytes', options.thumbnailCacheBytes ?? 64 * 1024 * 1024, 0, 2 ** 40),
    maxConcurrentWork: integerInRange('maxConcurrentWork', options.maxConcurrentWork ?? Math.max(1, os.availableParallelism()), 1, 1024),
    maxK: integerInRange('maxK', options.maxK ?? 1000, 1, 10_000),
  };
}
