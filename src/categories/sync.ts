/**
 * Bringing the catalogue's labels in step with its images: labels made at index time arrive
 * as side data and are copied into the inverted index; images indexed before labels were
 * switched on (or whose side data is missing) are read and classified again, in batches.
 */
import { decodeImage } from '../decode/decode.js';
import type { Collection } from '../collection.js';
import { errorMessage } from '../errors.js';
import type { ImageLabel } from '../store/catalogue.js';
import { CLASSIFIER_MAX_SIDE, decodeLabels, encodeLabels, labelSettings, LABELS_KIND, predict } from './labels.js';
import type { RgbImage } from '../decode/decode.js';

export interface LabelSyncSummary {
  /** Hashes whose labels came from index-time side data. */
  fromSideData: number;
  /** Hashes classified now (read and decoded again). */
  classified: number;
  failed: Array<{ path: string; error: string }>;
}

const BATCH = 16;

export async function syncLabels(
  collection: Collection,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<LabelSyncSummary> {
  const summary: LabelSyncSummary = { fromSideData: 0, classified: 0, failed: [] };
  const settings = labelSettings(await collection.settings());
  if (!settings.enabled) return summary;
  const store = collection.store;
  // A changed top-k re-derives every image's labels from its stored predictions.
  const topKKey = 'labels_top_k';
  const storedTopK = await store.getMeta(topKKey);
  const relabel = storedTopK !== undefined && storedTopK !== String(settings.topK);
  const hashes = relabel
    ? [...new Set((await store.listImages({ status: 'indexed' })).flatMap((r) => (r.hash ? [r.hash] : [])))]
    : await store.unlabelledHashes();
  if (storedTopK !== String(settings.topK)) await store.setMeta(topKKey, String(settings.topK));
  if (hashes.length === 0) return summary;

  const side = await store.getImageData(LABELS_KIND, hashes);
  const fromSide: Array<{ hash: string; labels: ImageLabel[] }> = [];
  for (const [hash, data] of side) {
    const labels = decodeLabels(data).slice(0, settings.topK);
    if (labels.length > 0) fromSide.push({ hash, labels });
  }
  if (fromSide.length > 0) await store.putLabels(fromSide);
  summary.fromSideData = fromSide.length;

  const missing = new Set(hashes.filter((h) => !fromSide.some((e) => e.hash === h)));
  if (missing.size === 0) return summary;
  const pathOf = new Map<string, string>();
  for (const r of await store.listImages({ status: 'indexed' })) if (r.hash && missing.has(r.hash) && !pathOf.has(r.hash)) pathOf.set(r.hash, r.path);
  const todo = [...pathOf.entries()];
  for (let start = 0; start < todo.length; start += BATCH) {
    if (options.signal?.aborted) break;
    const decoded: Array<{ hash: string; image: RgbImage }> = [];
    for (const [hash, p] of todo.slice(start, start + BATCH)) {
      try {
        decoded.push({ hash, image: await decodeImage(await collection.readImage(p), { maxSide: CLASSIFIER_MAX_SIDE }) });
      } catch (err) {
        summary.failed.push({ path: p, error: errorMessage(err) });
      }
    }
    if (decoded.length === 0) continue;
    const preds = await predict(decoded.map((d) => d.image), settings.model);
    await store.putImageData(LABELS_KIND, decoded.map((d, i) => ({ hash: d.hash, data: encodeLabels(preds[i]!) })));
    await store.putLabels(decoded.map((d, i) => ({ hash: d.hash, labels: preds[i]!.slice(0, settings.topK) })));
    summary.classified += decoded.length;
    options.onProgress?.(Math.min(start + BATCH, todo.length), todo.length);
  }
  return summary;
}
