/**
 * The shared catalogue: PostgreSQL + pgvector, so many machines can index into and search
 * one collection. Same tables as the SQLite catalogue, in their own schema (one collection
 * per schema, `?schema=name` in the URL, default `simili`); codes live in a pgvector column
 * with an HNSW index, which `Collection` uses for approximate search (see ann-searcher.ts).
 *
 * Writes are idempotent: images are keyed by path, vectors by content hash, so a job that
 * runs twice (a retried or stalled queue job) leaves exactly the rows one run would.
 */
import pg from 'pg';
import { SimiliError, invalidParameter } from '../errors.js';
import type { AnnMatch } from '../search/ann.js';
import { REWRITE_PAGE, type CatalogueStore, type CodeMatrix, type ImageLabel, type ImageRecord, type ImageStatus, type LabelRows, type ListOptions, type WriteBatch } from './catalogue.js';
import { blobToVector, vectorToBlob } from './sqlite.js';

export const PG_SCHEMA_VERSION = 1;
/** pgvector's HNSW limit for `vector`; `halfvec` goes to 4000, beyond that search is a scan. */
const VECTOR_INDEX_MAX_DIM = 2000;
const HALFVEC_INDEX_MAX_DIM = 4000;

function ddl(s: string): string {
  return `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.blobs (name text PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.images (
  id serial PRIMARY KEY,
  path text NOT NULL UNIQUE,
  size bigint NOT NULL,
  mtime_ms double precision NOT NULL,
  hash text,
  width integer,
  height integer,
  format text,
  status text NOT NULL CHECK (status IN ('indexed', 'failed')),
  error_code text,
  error text,
  added_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS images_hash ON ${s}.images (hash);
CREATE INDEX IF NOT EXISTS images_status ON ${s}.images (status);
CREATE TABLE IF NOT EXISTS ${s}.vectors (
  hash text PRIMARY KEY,
  encoder_id text NOT NULL,
  raw bytea NOT NULL,
  code vector NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.image_data (
  kind text NOT NULL,
  hash text NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (kind, hash)
);
CREATE TABLE IF NOT EXISTS ${s}.labels (
  hash text NOT NULL,
  class_index integer NOT NULL,
  probability real NOT NULL,
  PRIMARY KEY (hash, class_index)
);
CREATE INDEX IF NOT EXISTS labels_class ON ${s}.labels (class_index);
INSERT INTO ${s}.meta (key, value) VALUES ('schema_version', '${PG_SCHEMA_VERSION}'), ('generation', '0') ON CONFLICT (key) DO NOTHING;
`;
}

interface ImageRow {
  id: number;
  path: string;
  size: string;
  mtime_ms: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  status: ImageStatus;
  error_code: string | null;
  error: string | null;
  added_at: string;
  updated_at: string;
}

function toRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    path: r.path,
    size: Number(r.size),
    mtimeMs: r.mtime_ms,
    hash: r.hash,
    width: r.width,
    height: r.height,
    format: r.format,
    status: r.status,
    errorCode: r.error_code,
    error: r.error,
    addedAt: Number(r.added_at),
    updatedAt: Number(r.updated_at),
  };
}

/** pgvector's text form; float32 -> shortest double text -> float4 round-trips exactly. */
export function toVectorText(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

export function fromVectorText(text: string): Float32Array {
  const body = text.slice(1, -1);
  return body.length === 0 ? new Float32Array(0) : Float32Array.from(body.split(','), Number);
}

export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** The URL without its password, for messages and `location`. */
function redact(url: URL): string {
  const u = new URL(url.href);
  if (u.password) u.password = '***';
  return u.href;
}

export interface PostgresOptions {
  /** Connections in the pool (default 4). */
  maxConnections?: number;
}

export class PostgresCatalogue implements CatalogueStore {
  readonly location: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  /** Dimension the HNSW index was made for, once known. */
  private indexedDim: number | null = null;

  private constructor(pool: pg.Pool, schema: string, location: string) {
    this.pool = pool;
    this.schema = schema;
    this.location = location;
  }

  /** Connect and create the schema if needed: `postgres://user:pass@host:5432/db?schema=photos`. */
  static async connect(urlText: string, options: PostgresOptions = {}): Promise<PostgresCatalogue> {
    if (!isPostgresUrl(urlText)) throw invalidParameter('store', 'a postgres:// URL', urlText);
    const url = new URL(urlText);
    const schema = url.searchParams.get('schema') ?? 'simili';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw invalidParameter('schema', 'a lower-case SQL identifier', schema);
    url.searchParams.delete('schema');
    const pool = new pg.Pool({ connectionString: url.href, max: options.maxConnections ?? 4 });
    // An idle client's network error must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const store = new PostgresCatalogue(pool, schema, redact(url) + `#${schema}`);
    try {
      await store.init();
    } catch (err) {
      await pool.end().catch(() => {});
      throw new SimiliError('COLLECTION_MISSING', `Cannot open PostgreSQL catalogue ${store.location}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  private t(name: string): string {
    return `${this.schema}.${name}`;
  }

  private async init(): Promise<void> {
    // Two processes creating the schema at once can collide on the catalogue's unique keys: retry once.
    try {
      await this.pool.query(ddl(this.schema));
    } catch {
      await this.pool.query(ddl(this.schema));
    }
    const version = Number(await this.getMeta('schema_version'));
    if (version > PG_SCHEMA_VERSION) {
      throw new SimiliError('SCHEMA_VERSION', `Catalogue ${this.location} has schema version ${version}, newer than this simili (${PG_SCHEMA_VERSION}); upgrade simili`);
    }
    const dim = await this.getMeta('code_dim');
    if (dim !== undefined) this.indexedDim = Number(dim);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private bumpSql(): string {
    return `UPDATE ${this.t('meta')} SET value = (value::bigint + 1)::text WHERE key = 'generation'`;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const r = await this.pool.query<{ value: string }>(`SELECT value FROM ${this.t('meta')} WHERE key = $1`, [key]);
    return r.rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.t('meta')} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  async getBlob(name: string): Promise<Buffer | undefined> {
    const r = await this.pool.query<{ value: Buffer }>(`SELECT value FROM ${this.t('blobs')} WHERE name = $1`, [name]);
    return r.rows[0]?.value;
  }

  async setBlob(name: string, value: Buffer | null): Promise<void> {
    await this.tx(async (c) => {
      if (value === null) await c.query(`DELETE FROM ${this.t('blobs')} WHERE name = $1`, [name]);
      else await c.query(`INSERT INTO ${this.t('blobs')} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, [name, value]);
      await c.query(this.bumpSql());
    });
  }

  async generation(): Promise<number> {
    return Number((await this.getMeta('generation')) ?? 0);
  }

  async countImages(status?: ImageStatus): Promise<number> {
    const r = status
      ? await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t('images')} WHERE status = $1`, [status])
      : await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t('images')}`);
    return Number(r.rows[0]!.n);
  }

  async listImages(options: ListOptions = {}): Promise<ImageRecord[]> {
    const limit = options.limit === undefined || options.limit < 0 ? null : options.limit;
    const offset = options.offset ?? 0;
    const afterId = options.afterId ?? -1;
    const r = options.status
      ? await this.pool.query<ImageRow>(`SELECT * FROM ${this.t('images')} WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3 OFFSET $4`, [options.status, afterId, limit, offset])
      : await this.pool.query<ImageRow>(`SELECT * FROM ${this.t('images')} WHERE id > $1 ORDER BY id LIMIT $2 OFFSET $3`, [afterId, limit, offset]);
    return r.rows.map(toRecord);
  }

  async getImage(idOrPath: number | string): Promise<ImageRecord | undefined> {
    const r = typeof idOrPath === 'number'
      ? await this.pool.query<ImageRow>(`SELECT * FROM ${this.t('images')} WHERE id = $1`, [idOrPath])
      : await this.pool.query<ImageRow>(`SELECT * FROM ${this.t('images')} WHERE path = $1`, [idOrPath]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async getImages(ids: readonly number[]): Promise<ImageRecord[]> {
    if (ids.length === 0) return [];
    const r = await this.pool.query<ImageRow>(`SELECT * FROM ${this.t('images')} WHERE id = ANY($1::int[])`, [ids]);
    const byId = new Map(r.rows.map((row) => [row.id, toRecord(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async hasVector(hash: string, encoderId: string): Promise<boolean> {
    const r = await this.pool.query(`SELECT 1 FROM ${this.t('vectors')} WHERE hash = $1 AND encoder_id = $2`, [hash, encoderId]);
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * The HNSW index needs a fixed dimension, known at the first vector: an expression index
   * on `code::vector(dim)` (or `halfvec` above 2000), which searches must repeat verbatim.
   */
  private async ensureIndex(dim: number): Promise<void> {
    if (this.indexedDim === dim) return;
    if (this.indexedDim !== null) return; // a mismatch is reported by search, as for SQLite
    if (dim <= HALFVEC_INDEX_MAX_DIM) {
      const expr = this.indexExpr(dim);
      const ops = dim <= VECTOR_INDEX_MAX_DIM ? 'vector_ip_ops' : 'halfvec_ip_ops';
      try {
        await this.pool.query(`CREATE INDEX IF NOT EXISTS vectors_code_hnsw ON ${this.t('vectors')} USING hnsw ((${expr}) ${ops})`);
      } catch (err) {
        // Another worker created it at the same moment.
        if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') throw err;
      }
    }
    await this.setMeta('code_dim', String(dim));
    this.indexedDim = dim;
  }

  private indexExpr(dim: number): string {
    return dim <= VECTOR_INDEX_MAX_DIM ? `code::vector(${dim})` : `code::halfvec(${dim})`;
  }

  async writeBatch(batch: WriteBatch): Promise<void> {
    const first = batch.indexed.find((b) => b.vector)?.vector;
    if (first) await this.ensureIndex(first.code.length);
    const now = Date.now();
    const upsert = `
      INSERT INTO ${this.t('images')} (path, size, mtime_ms, hash, width, height, format, status, error_code, error, added_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
      ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash,
        width = excluded.width, height = excluded.height, format = excluded.format, status = excluded.status,
        error_code = excluded.error_code, error = excluded.error, updated_at = excluded.updated_at`;
    await this.tx(async (c) => {
      for (const { image, vector } of batch.indexed) {
        if (vector) {
          await c.query(
            `INSERT INTO ${this.t('vectors')} (hash, encoder_id, raw, code) VALUES ($1, $2, $3, $4)
             ON CONFLICT (hash) DO UPDATE SET encoder_id = excluded.encoder_id, raw = excluded.raw, code = excluded.code`,
            [vector.hash, vector.encoderId, vectorToBlob(vector.raw), toVectorText(vector.code)],
          );
        }
        await c.query(upsert, [image.path, image.size, image.mtimeMs, image.hash, image.width, image.height, image.format, 'indexed', null, null, now]);
      }
      for (const f of batch.failed) {
        await c.query(upsert, [f.path, f.size, f.mtimeMs, f.hash, null, null, null, 'failed', f.errorCode, f.error, now]);
      }
      for (const d of batch.sideData ?? []) await this.putData(c, d.kind, d.hash, d.data);
      await c.query(this.bumpSql());
    });
  }

  private async putData(c: pg.PoolClient, kind: string, hash: string, data: Buffer): Promise<void> {
    await c.query(`INSERT INTO ${this.t('image_data')} (kind, hash, data) VALUES ($1, $2, $3) ON CONFLICT (kind, hash) DO UPDATE SET data = excluded.data`, [kind, hash, data]);
  }

  async getImageData(kind: string, hashes: readonly string[]): Promise<Map<string, Buffer>> {
    if (hashes.length === 0) return new Map();
    const r = await this.pool.query<{ hash: string; data: Buffer }>(`SELECT hash, data FROM ${this.t('image_data')} WHERE kind = $1 AND hash = ANY($2::text[])`, [kind, hashes]);
    return new Map(r.rows.map((row) => [row.hash, row.data]));
  }

  async putImageData(kind: string, entries: ReadonlyArray<{ hash: string; data: Buffer }>): Promise<void> {
    await this.tx(async (c) => {
      for (const e of entries) await this.putData(c, kind, e.hash, e.data);
      await c.query(this.bumpSql());
    });
  }

  async putLabels(entries: ReadonlyArray<{ hash: string; labels: readonly ImageLabel[] }>): Promise<void> {
    await this.tx(async (c) => {
      for (const e of entries) {
        await c.query(`DELETE FROM ${this.t('labels')} WHERE hash = $1`, [e.hash]);
        for (const l of e.labels) {
          await c.query(`INSERT INTO ${this.t('labels')} (hash, class_index, probability) VALUES ($1, $2, $3)
            ON CONFLICT (hash, class_index) DO UPDATE SET probability = excluded.probability`, [e.hash, l.classIndex, l.probability]);
        }
      }
      await c.query(this.bumpSql());
    });
  }

  async getLabels(hashes: readonly string[]): Promise<Map<string, ImageLabel[]>> {
    const out = new Map<string, ImageLabel[]>();
    if (hashes.length === 0) return out;
    const r = await this.pool.query<{ hash: string; class_index: number; probability: number }>(
      `SELECT hash, class_index, probability FROM ${this.t('labels')} WHERE hash = ANY($1::text[]) ORDER BY hash, probability DESC`, [hashes]);
    for (const row of r.rows) {
      const list = out.get(row.hash) ?? [];
      list.push({ classIndex: row.class_index, probability: row.probability });
      out.set(row.hash, list);
    }
    return out;
  }

  async loadLabels(): Promise<LabelRows> {
    const r = await this.pool.query<{ id: number; class_index: number; probability: number }>(
      `SELECT i.id, l.class_index, l.probability FROM ${this.t('images')} i JOIN ${this.t('labels')} l ON l.hash = i.hash
       WHERE i.status = 'indexed' ORDER BY i.id, l.probability DESC`);
    const n = r.rows.length;
    const out: LabelRows = { imageIds: new Int32Array(n), classIndexes: new Int32Array(n), probabilities: new Float32Array(n) };
    r.rows.forEach((row, i) => {
      out.imageIds[i] = row.id;
      out.classIndexes[i] = row.class_index;
      out.probabilities[i] = row.probability;
    });
    return out;
  }

  async imagesWithClasses(classIndexes: readonly number[]): Promise<number[]> {
    if (classIndexes.length === 0) return [];
    const r = await this.pool.query<{ id: number }>(
      `SELECT DISTINCT i.id FROM ${this.t('labels')} l JOIN ${this.t('images')} i ON i.hash = l.hash
       WHERE l.class_index = ANY($1::int[]) AND i.status = 'indexed' ORDER BY i.id`, [classIndexes]);
    return r.rows.map((row) => row.id);
  }

  async unlabelledHashes(limit?: number): Promise<string[]> {
    const r = await this.pool.query<{ hash: string }>(
      `SELECT DISTINCT i.hash FROM ${this.t('images')} i WHERE i.status = 'indexed' AND i.hash IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM ${this.t('labels')} l WHERE l.hash = i.hash) LIMIT $1`, [limit ?? null]);
    return r.rows.map((row) => row.hash);
  }

  async removeImages(paths: readonly string[]): Promise<number> {
    return this.tx(async (c) => {
      const r = await c.query(`DELETE FROM ${this.t('images')} WHERE path = ANY($1::text[])`, [paths]);
      await c.query(this.bumpSql());
      return r.rowCount ?? 0;
    });
  }

  async pruneVectors(): Promise<number> {
    return this.tx(async (c) => {
      const live = `SELECT 1 FROM ${this.t('images')} i WHERE i.status = 'indexed' AND i.hash = x.hash`;
      const v = await c.query(`DELETE FROM ${this.t('vectors')} x WHERE NOT EXISTS (${live})`);
      const d = await c.query(`DELETE FROM ${this.t('image_data')} x WHERE NOT EXISTS (${live})`);
      const l = await c.query(`DELETE FROM ${this.t('labels')} x WHERE NOT EXISTS (${live})`);
      if ((v.rowCount ?? 0) + (d.rowCount ?? 0) + (l.rowCount ?? 0) > 0) await c.query(this.bumpSql());
      return v.rowCount ?? 0;
    });
  }

  async clearVectors(): Promise<void> {
    await this.tx(async (c) => {
      await c.query(`DELETE FROM ${this.t('vectors')}`);
      // The next encoder may have another dimension: the index is made again at the first write.
      await c.query(`DROP INDEX IF EXISTS ${this.t('vectors_code_hnsw')}`);
      await c.query(`DELETE FROM ${this.t('meta')} WHERE key = 'code_dim'`);
      await c.query(`UPDATE ${this.t('images')} SET mtime_ms = -1`);
      await c.query(this.bumpSql());
    });
    this.indexedDim = null;
  }

  private async loadColumn(column: 'raw' | 'code', only?: readonly number[]): Promise<CodeMatrix> {
    const select = column === 'raw' ? 'v.raw AS v' : 'v.code::text AS v';
    const r = await this.pool.query<{ id: number; v: Buffer | string }>(
      `SELECT i.id AS id, ${select} FROM ${this.t('images')} i JOIN ${this.t('vectors')} v ON v.hash = i.hash
       WHERE i.status = 'indexed' AND ($1::int[] IS NULL OR i.id = ANY($1::int[])) ORDER BY i.id`, [only ?? null]);
    const ids = new Int32Array(r.rows.length);
    let dim = 0;
    let data = new Float32Array(0);
    r.rows.forEach((row, i) => {
      const vec = typeof row.v === 'string' ? fromVectorText(row.v) : blobToVector(row.v);
      if (i === 0) {
        dim = vec.length;
        data = new Float32Array(r.rows.length * dim);
      } else if (vec.length !== dim) {
        throw new SimiliError('ENCODER_MISMATCH', `Catalogue ${this.location} holds vectors of different dimensions (${dim} and ${vec.length}); run index --reindex`);
      }
      ids[i] = row.id;
      data.set(vec, i * dim);
    });
    return { ids, dim, data };
  }

  async loadRaw(ids?: readonly number[]): Promise<CodeMatrix> {
    return this.loadColumn('raw', ids);
  }

  async loadCodes(): Promise<CodeMatrix> {
    return this.loadColumn('code');
  }

  async rewriteCodes(encode: (raw: Float32Array) => Float32Array): Promise<void> {
    await this.tx(async (c) => {
      // A page of vectors at a time, each page written by one statement.
      for (let after = ''; ;) {
        const page = await c.query<{ hash: string; raw: Buffer }>(
          `SELECT hash, raw FROM ${this.t('vectors')} WHERE hash > $1 ORDER BY hash LIMIT ${REWRITE_PAGE}`, [after]);
        const rows = page.rows;
        if (rows.length > 0) {
          await c.query(
            `UPDATE ${this.t('vectors')} AS v SET code = u.code::vector FROM unnest($1::text[], $2::text[]) AS u(hash, code) WHERE v.hash = u.hash`,
            [rows.map((r) => r.hash), rows.map((r) => toVectorText(encode(blobToVector(r.raw))))]);
        }
        if (rows.length < REWRITE_PAGE) break;
        after = rows.at(-1)!.hash;
      }
      await c.query(this.bumpSql());
    });
  }

  async getCode(imageId: number): Promise<Float32Array | undefined> {
    return (await this.getCodes([imageId])).get(imageId);
  }

  async getCodes(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    if (ids.length === 0) return new Map();
    const r = await this.pool.query<{ id: number; code: string }>(
      `SELECT i.id AS id, v.code::text AS code FROM ${this.t('images')} i JOIN ${this.t('vectors')} v ON v.hash = i.hash
       WHERE i.id = ANY($1::int[]) AND i.status = 'indexed'`, [ids]);
    return new Map(r.rows.map((row) => [row.id, fromVectorText(row.code)]));
  }

  /**
   * Approximate nearest codes through pgvector's HNSW index (`<#>` is the negated inner
   * product). ef_search is raised to the count so the index can return that many.
   */
  async nearestCodes(query: Float32Array, count: number): Promise<AnnMatch[]> {
    const dim = this.indexedDim ?? Number((await this.getMeta('code_dim')) ?? query.length);
    if (query.length !== dim) {
      throw new SimiliError('ENCODER_MISMATCH', `Query code has ${query.length} dimensions but catalogue ${this.location} has ${dim}: it was encoded with another encoder`);
    }
    const expr = this.indexExpr(dim);
    const cast = dim <= VECTOR_INDEX_MAX_DIM ? `vector(${dim})` : `halfvec(${dim})`;
    return this.tx(async (c) => {
      await c.query(`SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(40, Math.floor(count)))}`);
      const r = await c.query<{ id: number; d: number }>(
        `WITH nn AS (
           SELECT hash, ${expr.replace('code', 'v.code')} <#> $1::${cast} AS d FROM ${this.t('vectors')} v
           ORDER BY ${expr.replace('code', 'v.code')} <#> $1::${cast} LIMIT $2)
         SELECT i.id AS id, nn.d AS d FROM nn JOIN ${this.t('images')} i ON i.hash = nn.hash AND i.status = 'indexed'
         ORDER BY nn.d, i.id`, [toVectorText(query), count]);
      return r.rows.map((row) => ({ id: row.id, score: -row.d }));
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
