/**
 * Every failed request answers `{ error: { code, message } }` with a fitting status.
 * Library errors keep their stable SimiliError code; HTTP-only failures get their own codes.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorMessage, isSimiliError, type ErrorCode } from '../errors.js';

export type HttpErrorCode =
  | ErrorCode
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHORIZED'
  | 'WRITE_DISABLED'
  | 'TIMEOUT'
  | 'CLIENT_CLOSED'
  | 'METHOD_NOT_ALLOWED'
  | 'INTERNAL';

export interface ErrorBody {
  error: { code: HttpErrorCode; message: string };
}

export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: HttpErrorCode;
  constructor(status: ContentfulStatusCode, code: HttpErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** Library codes are about the input or the collection; only the server's own faults are 5xx. */
const STATUS_OF: Record<ErrorCode, ContentfulStatusCode> = {
  INVALID_PARAMETER: 400,
  NOT_FOUND: 404,
  EMPTY_FILE: 400,
  UNSUPPORTED_FORMAT: 415,
  CORRUPT_IMAGE: 422,
  TOO_MANY_PIXELS: 413,
  READ_ERROR: 500,
  // A URL query whose download failed: the upstream is at fault, not this server.
  DOWNLOAD_FAILED: 502,
  CHECKSUM_MISMATCH: 500,
  MODEL_UNAVAILABLE: 503,
  ENCODER_MISMATCH: 409,
  COLLECTION_MISSING: 503,
  COLLECTION_BUSY: 503,
  SCHEMA_VERSION: 500,
};

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isSimiliError(err)) return new HttpError(STATUS_OF[err.code] ?? 500, err.code, err.message);
  return new HttpError(500, 'INTERNAL', `Internal error: ${errorMessage(err)}`);
}

export function errorBody(err: HttpError): ErrorBody {
  return { error: { code: err.code, message: err.message } };
}

/** A failure recorded as a code string (catalogue rows, add summaries) -> the same HTTP mapping. */
export function fromRecordedError(code: string, message: string): HttpError {
  const known = Object.hasOwn(STATUS_OF, code) ? (code as ErrorCode) : undefined;
  return known ? new HttpError(STATUS_OF[known], known, message) : new HttpError(422, 'CORRUPT_IMAGE', message);
}
