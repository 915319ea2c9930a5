/**
 * One error type for everything simili reports to users, with a stable `code` that
 * scripts (and the HTTP server) can switch on instead of parsing messages.
 */
export type ErrorCode =
  | 'INVALID_PARAMETER'
  | 'NOT_FOUND'
  | 'EMPTY_FILE'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT_IMAGE'
  | 'TOO_MANY_PIXELS'
  | 'READ_ERROR'
  | 'DOWNLOAD_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'MODEL_UNAVAILABLE'
  | 'ENCODER_MISMATCH'
  | 'COLLECTION_MISSING'
  | 'COLLECTION_BUSY'
  | 'SCHEMA_VERSION';

export class SimiliError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimiliError';
    this.code = code;
  }
}

/**
 * The one message every public parameter check uses, in the manner of sharp's
 * `invalidParameterError`: "Expected <what> for <name> but received <value>".
 */
export function invalidParameter(name: string, expected: string, actual: unknown): SimiliError {
  return new SimiliError(
    'INVALID_PARAMETER',
    `Expected ${expected} for ${name} but received ${describe(actual)}`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `array of length ${value.length}`;
  return typeof value;
}

export function isSimiliError(err: unknown): err is SimiliError {
  return err instanceof SimiliError;
}

/** Message of any thrown value, for summaries and catalogue `error` columns. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
