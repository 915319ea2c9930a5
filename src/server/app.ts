/**
 * The HTTP application: a hono app over one open Collection. No socket here, so tests can
 * call `app.request()` directly; `serve.ts` puts it on a port.
 *
 *   GET  /                      the web page
 *   GET  /api/stats             collection facts
 *   GET  /api/search?id|url     search by an image of the collection or a URL
 *   POST /api/search            search by an upload (image/* body or multipart), URL or id
 *   GET  /api/images            browse, paged
 *   GET  /api/images/:id[/file|/thumb]
 *   POST /api/images, DELETE /api/images/:id   write, bearer token only
 *   GET  /openapi.json
 */
import path from 'node:path';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Collection } from '../collection.js';
import { errorBody, HttpError, toHttpError } from './http-error.js';
import { Limiter } from './limiter.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { adminRoutes } from './routes/admin.js';
import { imageRoutes } from './routes/images.js';
import { openApiRoutes } from './routes/openapi.js';
import { pageRoutes } from './routes/page.js';
import { searchRoutes } from './routes/search.js';
import { statsRoutes } from './routes/stats.js';
import { Thumbnails } from './thumbnails.js';
import { requestTimeout } from './timeout.js';
import type { ServerDeps } from './deps.js';

export function createApp(collection: Collection, serverOptions: ServerOptions = {}): Hono {
  const options = resolveServerOptions(serverOptions);
  const limiter = new Limiter(options.maxConcurrentWork);
  const deps: ServerDeps = {
    collection,
    options,
    limiter,
    thumbnails: new Thumbnails(collection, limiter, options.thumbnailSize, options.thumbnailCacheBytes),
  };

  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });
  app.use('/api/*', requestTimeout(options.timeoutMs));

  // Write routes first: they own POST /api/images and DELETE /api/images/:id.
  app.route('/api/images', adminRoutes(deps));
  app.route('/api/images', imageRoutes(deps));
  app.route('/api/search', searchRoutes(deps));
  app.route('/api/stats', statsRoutes(deps));
  app.route('/openapi.json', openApiRoutes());
  app.route('/', pageRoutes());

  app.notFound((c) => c.json(errorBody(new HttpError(404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`)), 404));
  app.onError((err, c) => {
    const e = err instanceof HTTPException && err.status < 500
      ? new HttpError(err.status, 'INVALID_PARAMETER', err.message || 'Bad request')
      : toHttpError(err);
    if (e.status >= 500 && e.code === 'INTERNAL') console.error(`simili serve: ${c.req.method} ${c.req.path}:`, err);
    // Library messages name the collection folder; clients need not learn the server's paths.
    const message = e.message.split(collection.dir).join(path.basename(collection.dir));
    return c.json({ error: { code: e.code, message } }, e.status);
  });
  return app;
}
