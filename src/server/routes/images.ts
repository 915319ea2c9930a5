/**
 * Browsing and serving images, always by catalogue id: the file served is the one the
 * catalogue names for that id, so no part of the request ever becomes a file path.
 */
import { Hono } from 'hono';
import { isUrl } from '../../indexing/scan.js';
import type { ImageRecord } from '../../store/catalogue.js';
import { sniffImageType } from '../body.js';
import type { ServerDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { imageJson, type ImageJson } from '../image-json.js';
import { imageId, optionalInteger } from '../params.js';
import { oneOf } from '../../validate.js';

export interface ImageListResponse {
  total: number;
  offset: number;
  limit: number;
  images: ImageJson[];
}

export const MAX_PAGE = 500;

export function imageRoutes(deps: ServerDeps): Hono {
  const { collection } = deps;
  const app = new Hono();

  const record = async (raw: string): Promise<ImageRecord> => {
    const id = imageId(raw);
    const r = await collection.store.getImage(id);
    if (!r) throw new HttpError(404, 'NOT_FOUND', `No image with id ${id} in this collection`);
    return r;
  };

  app.get('/', async (c) => {
    const q = c.req.query();
    const status = q.status === undefined ? 'all' : oneOf('status', q.status, ['indexed', 'failed', 'all'] as const);
    const offset = optionalInteger('offset', q.offset, 0, 2 ** 31 - 1) ?? 0;
    const limit = optionalInteger('limit', q.limit, 1, MAX_PAGE) ?? 48;
    const filter = status === 'all' ? undefined : status;
    const [total, rows] = await Promise.all([
      collection.store.countImages(filter),
      collection.images({ ...(filter ? { status: filter } : {}), offset, limit }),
    ]);
    const body: ImageListResponse = { total, offset, limit, images: rows.map(imageJson) };
    return c.json(body);
  });

  app.get('/:id', async (c) => c.json(imageJson(await record(c.req.param('id')))));

  app.get('/:id/file', async (c) => {
    const r = await record(c.req.param('id'));
    // An image known by its URL lives elsewhere: send the browser there.
    if (isUrl(r.path)) return c.redirect(r.path, 302);
    const bytes = await collection.readImage(r.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new HttpError(404, 'NOT_FOUND', `The file of image ${r.id} is gone from disk`);
      throw err;
    });
    const type = sniffImageType(bytes);
    if (!type) throw new HttpError(415, 'UNSUPPORTED_FORMAT', `Image ${r.id} is not in a format browsers show`);
    return c.body(new Uint8Array(bytes), 200, { 'Content-Type': type, 'Cache-Control': 'private, max-age=60', 'Content-Disposition': 'inline' });
  });

  app.get('/:id/thumb', async (c) => {
    const r = await record(c.req.param('id'));
    const etag = `"${r.hash ?? r.updatedAt}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    const thumb = await deps.thumbnails.get(r, c.req.raw.signal).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new HttpError(404, 'NOT_FOUND', `The file of image ${r.id} is gone from disk`);
      throw err;
    });
    return c.body(new Uint8Array(thumb.bytes), 200, { 'Content-Type': thumb.type, 'Cache-Control': 'private, max-age=300', ETag: etag });
  });

  return app;
}
