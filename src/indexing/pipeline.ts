/**
 * The indexing pipeline: read -> hash -> decode (concurrently) -> encode (batched) -> write
 * (one transaction per batch). Identical bytes are encoded once. Every failure becomes a
 * `failed` row with its reason; nothing here throws for a bad image.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { decodeImage, type DecodedImage } from '../decode/decode.js';
import type { Encoder } from '../encode/encoder.js';
import { errorMessage, isSimiliError } from '../errors.js';
import type { CatalogueStore, FailedImage, FileFacts, IndexedImage, SideData, StoredVector } from '../store/catalogue.js';
import { mapConcurrent } from './concurrent.js';
import type { SideDataProducer } from './side-data.js';

export interface ImageSourceReader {
  /** Bytes of a catalogue path (a file under the root, an absolute path, or a URL). */
  read(path: string): Promise<Buffer>;
}

export interface PipelineProgress {
  done: number;
  total: number;
  indexed: number;
  failed: number;
  /** Images per second over the run so far. */
  rate: number;
}

export interface PipelineOptions {
  store: CatalogueStore;
  encoder: Encoder;
  /** raw encoder output -> searchable code (the collection's learned post-processing). */
  toCode: (raw: Float32Array) => Float32Array;
  reader: ImageSourceReader;
  batchSize: number;
  maxPixels: number;
  /** How many files are read and decoded ahead of the encoder. */
  prefetch?: number;
  signal?: AbortSignal;
  onProgress?: (p: PipelineProgress) => void;
  /** Side data to make from each decoded image (see side-data.ts). */
  producers?: readonly SideDataProducer[];
}

export interface PipelineResult {
  indexed: number;
  /** Files whose bytes matched an already-encoded file. */
  deduplicated: number;
  failed: FailedImage[];
  aborted: boolean;
}

type Prepared =
  | { kind: 'decoded'; facts: FileFacts; hash: string; image: DecodedImage }
  | { kind: 'known'; facts: FileFacts; hash: string; width: number; height: number; format: string }
  | { kind: 'failed'; failure: FailedImage };

function failure(facts: FileFacts, hash: string | null, err: unknown): Prepared {
  const code = isSimiliError(err) ? err.code : 'READ_ERROR';
  return { kind: 'failed', failure: { ...facts, hash, errorCode: code, error: errorMessage(err) } };
}

export async function runPipeline(files: readonly FileFacts[], options: PipelineOptions): Promise<PipelineResult> {
  const { store, encoder, batchSize } = options;
  const encoderId = encoder.id;
  const started = performance.now();
  const result: PipelineResult = { indexed: 0, deduplicated: 0, failed: [], aborted: false };
  // Hashes encoded (or being encoded) in this run, so duplicates inside one run are encoded once.
  const claimed = new Set<string>();
  let done = 0;

  const prepare = async (facts: FileFacts): Promise<Prepared> => {
    let bytes: Buffer;
    try {
      bytes = await options.reader.read(facts.path);
    } catch (err) {
      return failure(facts, null, err);
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    const actual = { ...facts, size: bytes.byteLength };
    try {
      if (claimed.has(hash) || (await store.hasVector(hash, encoderId))) {
        const meta = await sharp(bytes, { limitInputPixels: options.maxPixels }).metadata();
        const swap = (meta.orientation ?? 1) >= 5;
        return {
          kind: 'known', facts: actual, hash,
          width: (swap ? meta.height : meta.width) ?? 0, height: (swap ? meta.width : meta.height) ?? 0,
          format: meta.format ?? 'unknown',
        };
      }
      claimed.add(hash);
      const image = await decodeImage(bytes, { maxPixels: options.maxPixels, maxSide: encoder.maxSide });
      return { kind: 'decoded', facts: actual, hash, image };
    } catch (err) {
      claimed.delete(hash);
      return failure(actual, hash, err);
    }
  };

  let decoded: Array<Extract<Prepared, { kind: 'decoded' }>> = [];
  let known: Array<{ image: IndexedImage; vector: StoredVector | null }> = [];
  let failed: FailedImage[] = [];

  const flush = async (): Promise<void> => {
    const indexed = [...known];
    const sideData: SideData[] = [];
    if (decoded.length > 0) {
      for (const producer of options.producers ?? []) {
        try {
          const made = await producer.produce(decoded.map((d) => d.image));
          made.forEach((data, i) => { if (data) sideData.push({ kind: producer.kind, hash: decoded[i]!.hash, data }); });
        } catch {
          // Side data is an optimisation: its consumers cope without it, the run goes on.
        }
      }
      let raws: Float32Array[];
      try {
        raws = await encoder.encodeBatch(decoded.map((d) => d.image));
      } catch (err) {
        // One bad batch must not end the run: retry image by image to isolate the culprit.
        raws = [];
        for (const d of decoded) {
          try {
            raws.push((await encoder.encodeBatch([d.image]))[0]!);
          } catch (single) {
            raws.push(new Float32Array(0));
            failed.push({ ...d.facts, hash: d.hash, errorCode: 'CORRUPT_IMAGE', error: `encoder failed: ${errorMessage(single)}` });
          }
        }
        void err;
      }
      decoded.forEach((d, i) => {
        const raw = raws[i]!;
        if (raw.length === 0) return;
        indexed.push({
          image: { ...d.facts, hash: d.hash, width: d.image.originalWidth, height: d.image.originalHeight, format: d.image.format },
          vector: { hash: d.hash, encoderId, raw, code: options.toCode(raw) },
        });
      });
    }
    if (indexed.length > 0 || failed.length > 0) await store.writeBatch({ indexed, failed, sideData });
    result.indexed += indexed.length;
    result.failed.push(...failed);
    done += indexed.length + failed.length;
    decoded = [];
    known = [];
    failed = [];
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({
      done, total: files.length, indexed: result.indexed, failed: result.failed.length,
      rate: seconds > 0 ? done / seconds : 0,
    });
  };

  const prefetch = options.prefetch ?? batchSize * 2;
  for await (const item of mapConcurrent(files, prefetch, prepare)) {
    if (item.kind === 'decoded') decoded.push(item);
    else if (item.kind === 'known') {
      result.deduplicated++;
      known.push({ image: { ...item.facts, hash: item.hash, width: item.width, height: item.height, format: item.format }, vector: null });
    } else failed.push(item.failure);
    if (decoded.length >= batchSize || known.length + failed.length >= batchSize * 4) await flush();
    if (options.signal?.aborted) {
      result.aborted = true;
      break;
    }
  }
  await flush();
  return result;
}
