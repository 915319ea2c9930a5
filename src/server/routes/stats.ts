/** GET /api/stats: what the collection holds and how it was encoded (the page shows this). */
import path from 'node:path';
import { Hono } from 'hono';
import type { AnnQuantisation } from '../../search/ann.js';
import type { SearchStatus } from '../../search/ann-searcher.js';
import type { ServerDeps } from '../deps.js';
import { SEARCH_PARAMS } from '../search-options.js';

export interface StatsResponse {
  name: string;
  images: number;
  indexed: number;
  failed: number;
  dim: number | null;
  encoderId: string | null;
  /** Human name of the model(s): 'mobilenetv2-tf', 'classic', ... */
  model: string | null;
  recipe: { name: string; kind: string; models: string[] } | null;
  features: { write: boolean; urlQueries: boolean; labels: boolean; searchParams: readonly string[] };
  limits: { maxBodyBytes: number; maxK: number; timeoutMs: number };
  /** How a search is answered: 'scan' (every code), 'graph' (HNSW) or 'store' (pgvector). */
  search: { mode: SearchStatus['mode']; threshold: number; storage: AnnQuantisation; graphVectors: number | null } | null;
}

export function statsRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const info = await deps.collection.info();
    const recipe = info.recipe;
    const body: StatsResponse = {
      // The folder name only: absolute paths of the server's disk are not the client's business.
      name: path.basename(info.root ?? info.dir),
      images: info.images,
      indexed: info.indexed,
      failed: info.failed,
      dim: info.dim,
      encoderId: info.encoderId,
      model: recipe ? (recipe.kind === 'classic' ? 'classic' : recipe.models.join('+')) : null,
      recipe: recipe ? { name: recipe.name, kind: recipe.kind, models: [...recipe.models] } : null,
      features: {
        write: deps.options.token !== undefined,
        urlQueries: deps.options.allowUrlQueries,
        // Category gating needs labels predicted at index time.
        labels: (await deps.collection.settings()).labels === true,
        searchParams: SEARCH_PARAMS,
      },
      limits: { maxBodyBytes: deps.options.maxBodyBytes, maxK: deps.options.maxK, timeoutMs: deps.options.timeoutMs },
      search: info.search
        ? { mode: info.search.mode, threshold: info.search.threshold, storage: info.search.settings.quantisation, graphVectors: info.search.graph?.vectors ?? null }
        : null,
    };
    return c.json(body);
  });
  return app;
}
