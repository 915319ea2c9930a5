/** What every route module is built from: one object, passed explicitly (no globals). */
import type { Collection } from '../collection.js';
import type { Limiter } from './limiter.js';
import type { ResolvedServerOptions } from './options.js';
import type { Thumbnails } from './thumbnails.js';

export interface ServerDeps {
  collection: Collection;
  options: ResolvedServerOptions;
  /** Bounds CPU-heavy work (query encoding, thumbnails). */
  limiter: Limiter;
  thumbnails: Thumbnails;
}
