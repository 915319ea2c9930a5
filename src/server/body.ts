/**
 * Request bodies read with a byte limit enforced while streaming: a 50 MB upload against a
 * 20 MB limit is refused after 20 MB have arrived, not after all of it was buffered.
 */
import { HttpError } from './http-error.js';

export async function readLimitedBody(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body is over the ${maxBytes}-byte limit`);
}

/** Media type without parameters, lower-cased: 'multipart/form-data; boundary=x' -> 'multipart/form-data'. */
export function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

const SIGNATURES: ReadonlyArray<{ type: string; test: (b: Buffer) => boolean }> = [
  { type: 'image/jpeg', test: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/gif', test: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  { type: 'image/webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { type: 'image/tiff', test: (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1')) },
  { type: 'image/bmp', test: (b) => b.subarray(0, 2).toString('latin1') === 'BM' },
  // ISO-BMFF: 'ftyp' box at offset 4, brand says AVIF or HEIF.
  { type: 'image/avif', test: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' && /^(avi[fs]|hei[cfmsx]|mif1|msf1)$/.test(b.subarray(8, 12).toString('latin1')) },
];

/** Image type from the first bytes, or null: the declared content type is never trusted alone. */
export function sniffImageType(bytes: Buffer): string | null {
  return SIGNATURES.find((s) => s.test(bytes))?.type ?? null;
}

/** Refuse bodies that are empty or whose bytes are not an image, whatever they claim to be. */
export function requireImageBytes(bytes: Buffer, what: string): Buffer {
  if (bytes.length === 0) throw new HttpError(400, 'EMPTY_FILE', `${what} is empty (0 bytes)`);
  if (!sniffImageType(bytes)) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `${what} is not a JPEG, PNG, GIF, WebP, TIFF, BMP or AVIF image`);
  }
  return bytes;
}
