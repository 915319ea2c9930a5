/**
 * A per-request time budget. The slow work is not cancelled (the library has no cancellation
 * for one search), but the client gets a clear 503 instead of a hung connection.
 */
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.js';

export function requestTimeout(ms: number): MiddlewareHandler {
  return async (_c, next) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError(503, 'TIMEOUT', `Request took longer than ${ms} ms`)), ms);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
