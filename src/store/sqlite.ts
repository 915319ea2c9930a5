/**
 * The default catalogue: one SQLite file per collection (better-sqlite3, WAL).
 * WAL + one transaction per batch is what makes a killed run (kill -9 included) safe:
 * a batch either landed whole or not at all, and the next run redoes only what is missing.
 */
import Database from 'better-sqlite3';
import { SimiliError } from '../errors.js';
import {
  REWRITE_PAGE,
  type CatalogueStore,
  type CodeMatrix,
  type ImageLabel,
  type ImageRecord,
  type ImageStatus,
  type LabelRows,
  type ListOptions,
  type WriteBatch,
} from './catalogue.js';

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS images (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  hash TEXT,
  width INTEGER,
  height INTEGER,
  format TEXT,
  status TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),
  error_code TEXT,
  error TEXT,
  added_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS images_hash ON images (hash);
CREATE INDEX IF NOT EXISTS images_status ON images (status);
CREATE TABLE IF NOT EXISTS vectors (
  hash TEXT PRIMARY KEY,
  encoder_id TEXT NOT NULL,
  raw BLOB NOT NULL,
  code BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS image_data (
  kind TEXT NOT NULL,
  hash TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (kind, hash)
);
CREATE TABLE IF NOT EXISTS labels (
  hash TEXT NOT NULL,
  class_index INTEGER NOT NULL,
  probability REAL NOT NULL,
  PRIMARY KEY (hash, class_index)
);
CREATE INDEX IF NOT EXISTS labels_class ON labels (class_index);
`;

interface ImageRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  status: ImageStatus;
  error_code: string | null;
  error: string | null;
  added_at: number;
  updated_at: number;
}

function toRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    path: row.path,
    size: row.size,
    mtimeMs: row.mtime_ms,
    hash: row.hash,
    width: row.width,
    height: row.height,
    format: row.format,
    status: row.status,
    errorCode: row.error_code,
    error: row.error,
    addedAt: row.added_at,
    updatedAt: row.updated_at,
  };
}

/** Float32Array <-> BLOB without copying more than once. */
export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function blobToVector(b: Buffer): Float32Array {
  // Copy: SQLite's buffer may not be 4-byte aligned.
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export interface SqliteOptions {
  readonly?: boolean;
}

export class SqliteCatalogue implements CatalogueStore {
  readonly location: string;
  readonly db: Database.Database;

  constructor(file: string, options: SqliteOptions = {}) {
    this.location = file;
    try {
      this.db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    } catch (err) {
      throw new SimiliError('COLLECTION_MISSING', `Cannot open catalogue ${file}: ${(err as Error).message}`, { cause: err });
    }
    this.db.pragma('busy_timeout = 10000');
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      // NORMAL is durable across process kills under WAL; only an OS crash can lose the last commit.
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
      this.migrate();
    }
  }

  private migrate(): void {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    if (row === undefined) {
      this.db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('generation', '0')`).run(String(SCHEMA_VERSION));
      return;
    }
    const version = Number(row.value);
    if (version > SCHEMA_VERSION) {
      throw new SimiliError(
        'SCHEMA_VERSION',
        `Catalogue ${this.location} has schema version ${version}, newer than this simili (${SCHEMA_VERSION}); upgrade simili`,
      );
    }
  }

  /** Lets feature modules (labels, bit codes, ...) keep their own tables in the same file. */
  ensureTables(ddl: string): void {
    this.db.exec(ddl);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined;
    return row?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  async getBlob(name: string): Promise<Buffer | undefined> {
    const row = this.db.prepare(`SELECT value FROM blobs WHERE name = ?`).get(name) as { value: Buffer } | undefined;
    return row?.value;
  }

  async setBlob(name: string, value: Buffer | null): Promise<void> {
    if (value === null) this.db.prepare(`DELETE FROM blobs WHERE name = ?`).run(name);
    else this.db.prepare(`INSERT INTO blobs (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`).run(name, value);
    this.bump();
  }

  async generation(): Promise<number> {
    return Number(await this.getMeta('generation') ?? 0);
  }

  private bump(): void {
    this.db.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'`).run();
  }

  async countImages(status?: ImageStatus): Promise<number> {
    const row = status
      ? (this.db.prepare(`SELECT count(*) AS n FROM images WHERE status = ?`).get(status) as { n: number })
      : (this.db.prepare(`SELECT count(*) AS n FROM images`).get() as { n: number });
    return row.n;
  }

  async listImages(options: ListOptions = {}): Promise<ImageRecord[]> {
    const limit = options.limit ?? -1;
    const offset = options.offset ?? 0;
    const afterId = options.afterId ?? -1;
    const rows = options.status
      ? this.db.prepare(`SELECT * FROM images WHERE status = ? AND id > ? ORDER BY id LIMIT ? OFFSET ?`).all(options.status, afterId, limit, offset)
      : this.db.prepare(`SELECT * FROM images WHERE id > ? ORDER BY id LIMIT ? OFFSET ?`).all(afterId, limit, offset);
    return (rows as ImageRow[]).map(toRecord);
  }

  async getImage(idOrPath: number | string): Promise<ImageRecord | undefined> {
    const row = typeof idOrPath === 'number'
      ? this.db.prepare(`SELECT * FROM images WHERE id = ?`).get(idOrPath)
      : this.db.prepare(`SELECT * FROM images WHERE path = ?`).get(idOrPath);
    return row ? toRecord(row as ImageRow) : undefined;
  }

  async getImages(ids: readonly number[]): Promise<ImageRecord[]> {
    const stmt = this.db.prepare(`SELECT * FROM images WHERE id = ?`);
    const out: ImageRecord[] = [];
    for (const id of ids) {
      const row = stmt.get(id) as ImageRow | undefined;
      if (row) out.push(toRecord(row));
    }
    return out;
  }

  async hasVector(hash: string, encoderId: string): Promise<boolean> {
    return this.db.prepare(`SELECT 1 FROM vectors WHERE hash = ? AND encoder_id = ?`).get(hash, encoderId) !== undefined;
  }

  async writeBatch(batch: WriteBatch): Promise<void> {
    const now = Date.now();
    const upsert = this.db.prepare(`
      INSERT INTO images (path, size, mtime_ms, hash, width, height, format, status, error_code, error, added_at, updated_at)
      VALUES (@path, @size, @mtimeMs, @hash, @width, @height, @format, @status, @errorCode, @error, @now, @now)
      ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash,
        width = excluded.width, height = excluded.height, format = excluded.format, status = excluded.status,
        error_code = excluded.error_code, error = excluded.error, updated_at = excluded.updated_at`);
    const putVector = this.db.prepare(`
      INSERT INTO vectors (hash, encoder_id, raw, code) VALUES (?, ?, ?, ?)
      ON CONFLICT (hash) DO UPDATE SET encoder_id = excluded.encoder_id, raw = excluded.raw, code = excluded.code`);
    const putData = this.putDataStatement();
    this.db.transaction(() => {
      for (const { image, vector } of batch.indexed) {
        if (vector) putVector.run(vector.hash, vector.encoderId, vectorToBlob(vector.raw), vectorToBlob(vector.code));
        upsert.run({ ...image, status: 'indexed', errorCode: null, error: null, now });
      }
      for (const f of batch.failed) {
        upsert.run({ ...f, width: null, height: null, format: null, status: 'failed', now });
      }
      for (const d of batch.sideData ?? []) putData.run(d.kind, d.hash, d.data);
      this.bump();
    })();
  }

  async getImageData(kind: string, hashes: readonly string[]): Promise<Map<string, Buffer>> {
    const stmt = this.db.prepare(`SELECT data FROM image_data WHERE kind = ? AND hash = ?`);
    const out = new Map<string, Buffer>();
    for (const h of hashes) {
      const row = stmt.get(kind, h) as { data: Buffer } | undefined;
      if (row) out.set(h, row.data);
    }
    return out;
  }

  async putImageData(kind: string, entries: ReadonlyArray<{ hash: string; data: Buffer }>): Promise<void> {
    const put = this.putDataStatement();
    // No generation bump: side data never changes what search scans, so readers keep their caches.
    this.db.transaction(() => {
      for (const e of entries) put.run(kind, e.hash, e.data);
    })();
  }

  private putDataStatement(): Database.Statement {
    return this.db.prepare(`INSERT INTO image_data (kind, hash, data) VALUES (?, ?, ?)
      ON CONFLICT (kind, hash) DO UPDATE SET data = excluded.data`);
  }

  async putLabels(entries: ReadonlyArray<{ hash: string; labels: readonly ImageLabel[] }>): Promise<void> {
    const del = this.db.prepare(`DELETE FROM labels WHERE hash = ?`);
    const put = this.db.prepare(`INSERT INTO labels (hash, class_index, probability) VALUES (?, ?, ?)
      ON CONFLICT (hash, class_index) DO UPDATE SET probability = excluded.probability`);
    this.db.transaction(() => {
      for (const e of entries) {
        del.run(e.hash);
        for (const l of e.labels) put.run(e.hash, l.classIndex, l.probability);
      }
      this.bump();
    })();
  }

  async getLabels(hashes: readonly string[]): Promise<Map<string, ImageLabel[]>> {
    const stmt = this.db.prepare(`SELECT class_index AS classIndex, probability FROM labels WHERE hash = ? ORDER BY probability DESC`);
    const out = new Map<string, ImageLabel[]>();
    for (const h of hashes) {
      const rows = stmt.all(h) as ImageLabel[];
      if (rows.length > 0) out.set(h, rows);
    }
    return out;
  }

  async loadLabels(): Promise<LabelRows> {
    const rows = this.db.prepare(`SELECT i.id, l.class_index, l.probability FROM images i JOIN labels l ON l.hash = i.hash
      WHERE i.status = 'indexed' ORDER BY i.id, l.probability DESC`).raw(true).all() as Array<[number, number, number]>;
    const out: LabelRows = { imageIds: new Int32Array(rows.length), classIndexes: new Int32Array(rows.length), probabilities: new Float32Array(rows.length) };
    rows.forEach(([id, c, p], i) => {
      out.imageIds[i] = id;
      out.classIndexes[i] = c;
      out.probabilities[i] = p;
    });
    return out;
  }

  async imagesWithClasses(classIndexes: readonly number[]): Promise<number[]> {
    if (classIndexes.length === 0) return [];
    const marks = classIndexes.map(() => '?').join(', ');
    const rows = this.db.prepare(`SELECT DISTINCT i.id FROM labels l JOIN images i ON i.hash = l.hash
      WHERE l.class_index IN (${marks}) AND i.status = 'indexed' ORDER BY i.id`).raw(true).all(...classIndexes) as Array<[number]>;
    return rows.map(([id]) => id);
  }

  async unlabelledHashes(limit?: number): Promise<string[]> {
    const rows = this.db.prepare(`SELECT DISTINCT i.hash FROM images i WHERE i.status = 'indexed' AND i.hash IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.hash = i.hash) LIMIT ?`).raw(true).all(limit ?? -1) as Array<[string]>;
    return rows.map(([h]) => h);
  }

  async removeImages(paths: readonly string[]): Promise<number> {
    const del = this.db.prepare(`DELETE FROM images WHERE path = ?`);
    let removed = 0;
    this.db.transaction(() => {
      for (const p of paths) removed += del.run(p).changes;
      this.bump();
    })();
    return removed;
  }

  async pruneVectors(): Promise<number> {
    const live = `SELECT hash FROM images WHERE status = 'indexed' AND hash IS NOT NULL`;
    const res = this.db.prepare(`DELETE FROM vectors WHERE hash NOT IN (${live})`).run();
    const side = this.db.prepare(`DELETE FROM image_data WHERE hash NOT IN (${live})`).run();
    const labels = this.db.prepare(`DELETE FROM labels WHERE hash NOT IN (${live})`).run();
    if (res.changes + side.changes + labels.changes > 0) this.bump();
    return res.changes;
  }

  async clearVectors(): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM vectors`).run();
      // Images stay known but must be re-encoded: mark them so change detection cannot skip them.
      this.db.prepare(`UPDATE images SET mtime_ms = -1`).run();
      this.bump();
    })();
  }

  private loadColumn(column: 'raw' | 'code', only?: readonly number[]): CodeMatrix {
    // Chosen ids travel as one JSON array: no statement grows with their number.
    const sql = `SELECT i.id AS id, v.${column} AS v FROM images i JOIN vectors v ON v.hash = i.hash
                 WHERE i.status = 'indexed'` + (only ? ` AND i.id IN (SELECT value FROM json_each(?))` : '') + ` ORDER BY i.id`;
    const statement = this.db.prepare(sql).raw(true);
    const rows = (only ? statement.iterate(JSON.stringify(only)) : statement.iterate()) as IterableIterator<[number, Buffer]>;
    const ids: number[] = [];
    const chunks: Buffer[] = [];
    let dim = 0;
    for (const [id, blob] of rows) {
      const d = blob.byteLength / 4;
      if (dim === 0) dim = d;
      else if (d !== dim) throw new SimiliError('ENCODER_MISMATCH', `Catalogue ${this.location} holds vectors of different dimensions (${dim} and ${d}); run index --reindex`);
      ids.push(id);
      chunks.push(blob);
    }
    const data = new Float32Array(ids.length * dim);
    const bytes = new Uint8Array(data.buffer);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.byteLength;
    }
    return { ids: Int32Array.from(ids), dim, data };
  }

  async loadRaw(ids?: readonly number[]): Promise<CodeMatrix> {
    return this.loadColumn('raw', ids);
  }

  async loadCodes(): Promise<CodeMatrix> {
    return this.loadColumn('code');
  }

  async rewriteCodes(encode: (raw: Float32Array) => Float32Array): Promise<void> {
    // Pages by key: a reader cannot stay open while the same connection writes.
    const page = this.db.prepare(`SELECT hash, raw FROM vectors WHERE hash > ? ORDER BY hash LIMIT ${REWRITE_PAGE}`);
    const put = this.db.prepare(`UPDATE vectors SET code = ? WHERE hash = ?`);
    this.db.transaction(() => {
      for (let after = ''; ;) {
        const rows = page.all(after) as Array<{ hash: string; raw: Buffer }>;
        for (const r of rows) put.run(vectorToBlob(encode(blobToVector(r.raw))), r.hash);
        if (rows.length < REWRITE_PAGE) break;
        after = rows.at(-1)!.hash;
      }
      this.bump();
    })();
  }

  async getCode(imageId: number): Promise<Float32Array | undefined> {
    const row = this.db.prepare(`SELECT v.code AS code FROM images i JOIN vectors v ON v.hash = i.hash WHERE i.id = ? AND i.status = 'indexed'`).get(imageId) as { code: Buffer } | undefined;
    return row ? blobToVector(row.code) : undefined;
  }

  async getCodes(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    if (ids.length === 0) return new Map();
    // The ids travel as one JSON array: no statement grows with their number.
    const rows = this.db.prepare(`SELECT i.id AS id, v.code AS code FROM images i JOIN vectors v ON v.hash = i.hash
      WHERE i.id IN (SELECT value FROM json_each(?)) AND i.status = 'indexed'`).all(JSON.stringify(ids)) as Array<{ id: number; code: Buffer }>;
    return new Map(rows.map((r) => [r.id, blobToVector(r.code)]));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
