/** GET/POST /api/search: nearest images to an uploaded image, a URL or an image of the collection. */
import { Hono, type Context } from 'hono';
import type { GateInfo } from '../../categories/gate.js';
import type { SearchResult } from '../../collection.js';
import type { ServerDeps } from '../deps.js';
import { checkToken } from '../auth.js';
import { hitJson, imageJson, publicPath, type HitJson, type ImageJson } from '../image-json.js';
import { parseSearchRequest } from '../query-input.js';
import { searchOptions } from '../search-options.js';

export interface SearchResponse {
  query: { kind: 'upload' | 'url' | 'id'; label: string; id?: number; thumb?: string };
  k: number;
  hits: HitJson[];
  scanned: number;
  /** How the category gate chose the candidates, when byCategory or category was asked for. */
  gate?: GateInfo;
  /** The query as stored in the collection (addQuery). */
  added?: ImageJson[];
  timings: SearchResult['timings'] & { totalMs: number };
}

export function searchRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  const handler = async (c: Context) => {
    const started = performance.now();
    const parsed = await parseSearchRequest(c, deps.options);
    const options = searchOptions(parsed.params, deps.options.maxK);
    // Storing the query is a write: same token as the write endpoints.
    if (options.addQuery) checkToken(c, deps.options.token);
    // Queries by id read a stored code: no decoding, so they need not queue behind uploads.
    const result = 'id' in parsed.query
      ? await deps.collection.search(parsed.query, options)
      : await deps.limiter.run(() => deps.collection.search(parsed.query, options), c.req.raw.signal);
    const body: SearchResponse = {
      query: {
        kind: parsed.kind,
        label: parsed.kind === 'id' ? publicPath(result.query.label) : parsed.label,
        ...(result.query.id !== undefined ? { id: result.query.id, thumb: `/api/images/${result.query.id}/thumb` } : {}),
      },
      k: options.k,
      hits: result.hits.map(hitJson),
      scanned: result.scanned,
      ...(result.gate ? { gate: result.gate } : {}),
      ...(result.added ? { added: await addedImages(deps, result.added.paths) } : {}),
      timings: { ...result.timings, totalMs: performance.now() - started },
    };
    return c.json(body);
  };
  app.get('/', handler);
  app.post('/', handler);
  return app;
}

async function addedImages(deps: ServerDeps, paths: readonly string[]): Promise<ImageJson[]> {
  const records = await Promise.all(paths.map((p) => deps.collection.store.getImage(p)));
  return records.filter((r) => r !== undefined).map(imageJson);
}
