/**
 * Write endpoints need a bearer token. Both sides are hashed first so timingSafeEqual
 * always compares two 32-byte digests: neither the token nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Throws unless the request carries `Authorization: Bearer <token>`; the token is never logged or echoed. */
export function checkToken(c: Context, expected: string | undefined): void {
  if (expected === undefined) {
    throw new HttpError(403, 'WRITE_DISABLED', 'Write endpoints are off: start the server with SIMILI_TOKEN set or --token-file');
  }
  const match = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
  if (!match || !tokenMatches(match[1]!.trim(), expected)) {
    c.header('WWW-Authenticate', 'Bearer');
    throw new HttpError(401, 'UNAUTHORIZED', 'Missing or wrong bearer token');
  }
}

export function requireToken(expected: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    checkToken(c, expected);
    await next();
  };
}
