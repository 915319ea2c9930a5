/**
 * From a request to an image and loose fields. An image comes as an upload (multipart field
 * `image`, or a raw `image/*` body), a URL (`url`) or, for searches, the id of an image already
 * in the collection (`id`); other fields (k, threshold...) come from the query string, JSON or
 * form fields, the body winning over the query string.
 */
import type { Context } from 'hono';
import type { QueryInput } from '../collection.js';
import { fetchImage } from '../decode/fetch-image.js';
import { mediaType, readLimitedBody, requireImageBytes } from './body.js';
import { HttpError } from './http-error.js';
import type { ResolvedServerOptions } from './options.js';
import { optionalInteger } from './params.js';

export type Fields = Record<string, unknown>;

export interface Upload {
  buffer: Buffer;
  name: string;
}

/** What the request carried: an uploaded image (already magic-byte checked) or none, and fields. */
export interface ImageRequest {
  upload?: Upload;
  fields: Fields;
}

export interface ParsedQuery {
  query: QueryInput;
  /** How the client named the query: what the response's `query` reports back. */
  kind: 'upload' | 'url' | 'id';
  label: string;
  params: Fields;
}

export async function readImageRequest(c: Context, options: ResolvedServerOptions): Promise<ImageRequest> {
  const fromQuery: Fields = { ...c.req.query() };
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return { fields: fromQuery };

  const type = mediaType(c.req.raw);
  if (type.startsWith('image/') || type === 'application/octet-stream') {
    const buffer = requireImageBytes(await readLimitedBody(c.req.raw, options.maxBodyBytes), 'Request body');
    return { upload: { buffer, name: fileNameHeader(c.req.header('x-file-name')) }, fields: fromQuery };
  }
  if (type === 'multipart/form-data') {
    const form = await readForm(c.req.raw, options.maxBodyBytes);
    const fields: Fields = { ...fromQuery };
    let upload: Upload | undefined;
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') fields[key] = value;
      else if (key === 'image') {
        const name = value.name || 'uploaded image';
        upload = { buffer: requireImageBytes(Buffer.from(await value.arrayBuffer()), `Uploaded file ${JSON.stringify(name)}`), name };
      } else throw new HttpError(400, 'INVALID_PARAMETER', `Unexpected file field ${JSON.stringify(key)}: send the image as field "image"`);
    }
    return { ...(upload ? { upload } : {}), fields };
  }
  if (type === 'application/json') {
    const text = (await readLimitedBody(c.req.raw, options.maxBodyBytes)).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'INVALID_PARAMETER', 'Request body is not valid JSON');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new HttpError(400, 'INVALID_PARAMETER', 'Expected a JSON object for the request body');
    }
    return { fields: { ...fromQuery, ...(json as Fields) } };
  }
  if (type === '') {
    // No Content-Type: fine when there is no body and the query string says it all.
    const bytes = await readLimitedBody(c.req.raw, options.maxBodyBytes);
    if (bytes.length === 0) return { fields: fromQuery };
  }
  throw new HttpError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Type ${JSON.stringify(type)} is not accepted: send image/*, multipart/form-data (field "image") or application/json`,
  );
}

/** A search request -> the library's QueryInput; URLs are downloaded here, under the server's limits. */
export async function parseSearchRequest(c: Context, options: ResolvedServerOptions): Promise<ParsedQuery> {
  const { upload, fields } = await readImageRequest(c, options);
  const { url, id, ...params } = fields;
  const given = [upload, url, id].filter((v) => v !== undefined).length;
  if (given > 1) throw new HttpError(400, 'INVALID_PARAMETER', 'Give one query: an uploaded image, url or id');
  if (upload) return { query: upload, kind: 'upload', label: upload.name, params };
  if (id !== undefined) {
    const n = optionalInteger('id', id, 1, 2 ** 31 - 1)!;
    return { query: { id: n }, kind: 'id', label: `#${n}`, params };
  }
  if (url !== undefined) {
    const href = await downloadUrl(url, options);
    return { query: { buffer: href.buffer, name: href.url }, kind: 'url', label: href.url, params };
  }
  if (c.req.method === 'POST' && mediaType(c.req.raw) !== 'application/json' && mediaType(c.req.raw) !== 'multipart/form-data') {
    throw new HttpError(400, 'EMPTY_FILE', 'Request body is empty: send an image, or give url or id');
  }
  throw new HttpError(400, 'INVALID_PARAMETER', 'No query image: upload one (field "image" or an image/* body), or give url or id');
}

/** Downloaded by the server rather than the library so the server's own size and time limits apply. */
export async function downloadUrl(value: unknown, options: ResolvedServerOptions): Promise<{ url: string; buffer: Buffer }> {
  const url = checkUrl(value, options);
  const bytes = await fetchImage(url, { maxBytes: options.maxBodyBytes, timeoutMs: Math.min(options.timeoutMs, 20_000), retries: 1 });
  return { url, buffer: requireImageBytes(bytes, `The image at ${url}`) };
}

export function checkUrl(value: unknown, options: ResolvedServerOptions): string {
  if (!options.allowUrlQueries) throw new HttpError(403, 'INVALID_PARAMETER', 'Images by URL are turned off on this server');
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new HttpError(400, 'INVALID_PARAMETER', `Expected an http(s) URL for url but received ${JSON.stringify(value)}`);
  }
  return parsed.href;
}

async function readForm(request: Request, maxBytes: number): Promise<FormData> {
  const body = await readLimitedBody(request, maxBytes);
  try {
    return await new Request('http://local/', { method: 'POST', headers: { 'content-type': request.headers.get('content-type')! }, body }).formData();
  } catch {
    throw new HttpError(400, 'INVALID_PARAMETER', 'Malformed multipart/form-data body');
  }
}

/** X-File-Name is percent-encoded by clients (headers are ASCII); only a display label. */
function fileNameHeader(value: string | undefined): string {
  if (!value) return 'uploaded image';
  try {
    return decodeURIComponent(value).slice(0, 255);
  } catch {
    return value.slice(0, 255);
  }
}
