/**
 * Thumbnails by image record: the one the indexer stored as side data ('thumb-v1') when there
 * is one, otherwise made on the fly with sharp and kept in a byte-bounded LRU. Unlike
 * Collection.thumbnail() this never writes to the catalogue: a write bumps its generation,
 * which would make every search reload all codes while someone browses.
 */
import sharp from 'sharp';
import { THUMBNAIL_KIND } from '../categories/thumbnails.js';
import type { Collection } from '../collection.js';
import { SimiliError } from '../errors.js';
import type { ImageRecord } from '../store/catalogue.js';
import { sniffImageType } from './body.js';
import type { Limiter } from './limiter.js';
import { ByteLru } from './lru.js';

export interface Thumbnail {
  bytes: Buffer;
  type: string;
}

export class Thumbnails {
  private readonly cache: ByteLru<string>;

  constructor(
    private readonly collection: Collection,
    private readonly limiter: Limiter,
    private readonly size: number,
    cacheBytes: number,
  ) {
    this.cache = new ByteLru(cacheBytes);
  }

  async get(record: ImageRecord, signal?: AbortSignal): Promise<Thumbnail> {
    // The hash changes when the file does, so a cached thumbnail is never stale.
    const key = `${record.hash ?? ''}:${record.path}`;
    const cached = this.cache.get(key);
    if (cached) return { bytes: cached, type: sniffImageType(cached) ?? 'image/jpeg' };
    if (record.hash) {
      const stored = (await this.collection.store.getImageData(THUMBNAIL_KIND, [record.hash])).get(record.hash);
      const type = stored ? sniffImageType(stored) : null;
      if (stored && type) return { bytes: stored, type };
    }
    const bytes = await this.limiter.run(async () => this.make(await this.collection.readImage(record.path)), signal);
    this.cache.set(key, bytes);
    return { bytes, type: 'image/jpeg' };
  }

  private async make(original: Buffer): Promise<Buffer> {
    try {
      return await sharp(original, { failOn: 'none', limitInputPixels: 100_000_000 })
        .rotate()
        .resize(this.size, this.size, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 78, mozjpeg: false })
        .toBuffer();
    } catch (err) {
      throw new SimiliError('CORRUPT_IMAGE', `Cannot make a thumbnail: ${(err as Error).message}`, { cause: err });
    }
  }
}
