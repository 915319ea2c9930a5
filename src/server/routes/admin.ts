/**
 * Write endpoints: add an image (upload or URL, never a server path) and remove one by id.
 * Off unless the server was given a token; every request must carry it as a bearer token.
 */
import { Hono } from 'hono';
import type { QueryInput } from '../../collection.js';
import { requireToken } from '../auth.js';
import type { ServerDeps } from '../deps.js';
import { fromRecordedError, HttpError } from '../http-error.js';
import { imageJson, publicPath, type ImageJson } from '../image-json.js';
import { imageId } from '../params.js';
import { checkUrl, readImageRequest } from '../query-input.js';

export interface AddResponse {
  images: ImageJson[];
  indexed: number;
  deduplicated: number;
}

export function adminRoutes(deps: ServerDeps): Hono {
  const { collection } = deps;
  const app = new Hono();
  const guard = requireToken(deps.options.token);

  app.post('/', guard, async (c) => {
    const { upload, fields } = await readImageRequest(c, deps.options);
    const unknown = Object.keys(fields).filter((key) => key !== 'url');
    if (unknown.length > 0) throw new HttpError(400, 'INVALID_PARAMETER', `Unknown parameter ${JSON.stringify(unknown[0])}: send an image, or url`);
    if (upload && fields.url !== undefined) throw new HttpError(400, 'INVALID_PARAMETER', 'Give either an image or url, not both');
    let item: QueryInput;
    if (upload) item = { buffer: upload.buffer, name: upload.name };
    else if (fields.url !== undefined) item = { url: checkUrl(fields.url, deps.options) };
    else throw new HttpError(400, 'EMPTY_FILE', 'Nothing to add: send an image (image/* body or multipart field "image"), or url');

    const summary = await deps.limiter.run(() => collection.add([item]), c.req.raw.signal);
    const failure = summary.failed[0];
    if (failure && summary.indexed + summary.deduplicated === 0) {
      throw fromRecordedError(failure.errorCode, `Cannot add the image: ${failure.error}`);
    }
    const records = await Promise.all(summary.paths.map((p) => collection.store.getImage(p)));
    const body: AddResponse = {
      images: records.filter((r) => r !== undefined).map(imageJson),
      indexed: summary.indexed,
      deduplicated: summary.deduplicated,
    };
    return c.json(body, 201);
  });

  app.delete('/:id', guard, async (c) => {
    const id = imageId(c.req.param('id'));
    const record = await collection.store.getImage(id);
    if (!record) throw new HttpError(404, 'NOT_FOUND', `No image with id ${id} in this collection`);
    const removed = await collection.remove([record.path]);
    return c.json({ id, path: publicPath(record.path), removed });
  });

  return app;
}
