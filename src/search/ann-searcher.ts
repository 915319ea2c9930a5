/**
 * What `Collection` asks of approximate search: should this query use it, and the top k
 * if so. Exact scanning is faster and perfect for small collections; above a threshold
 * the ANN (a usearch graph next to a SQLite catalogue, or the store's own index, e.g.
 * pgvector) picks candidates and the full codes decide the order.
 */
import { createHash } from 'node:crypto';
import type { CatalogueStore } from '../store/catalogue.js';
import { invalidParameter } from '../errors.js';
import { integerInRange } from '../validate.js';
import { annSettings, type AnnMatch, type AnnSettings } from './ann.js';
import { CollectionAnn, type AnnGraphStatus, type AnnSyncProgress, type AnnSyncResult } from './ann-sync.js';
import { candidateCount, rescore, type IdScore } from './rescore.js';

/** Indexed images from which the automatic choice switches from exact to ANN. */
export const DEFAULT_ANN_THRESHOLD = 50_000;

/** `settings.ann` in a collection's settings: the threshold plus any `AnnSettings`. */
export interface AnnConfig {
  threshold: number;
  settings: AnnSettings;
}

export function annConfig(value: unknown): AnnConfig {
  if (value === undefined || value === null) return { threshold: DEFAULT_ANN_THRESHOLD, settings: annSettings() };
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter('settings.ann', 'an object', value);
  const { threshold, ...rest } = value as Partial<AnnSettings> & { threshold?: number };
  return {
    threshold: integerInRange('settings.ann.threshold', threshold ?? DEFAULT_ANN_THRESHOLD, 0, Number.MAX_SAFE_INTEGER),
    settings: annSettings(rest),
  };
}

/** A store with its own nearest-neighbour index (PostgreSQL + pgvector). */
export interface NearestCodesStore {
  nearestCodes(query: Float32Array, count: number): Promise<AnnMatch[]>;
}

export function hasNearestCodes(store: CatalogueStore): store is CatalogueStore & NearestCodesStore {
  return typeof (store as Partial<NearestCodesStore>).nearestCodes === 'function';
}

/** What the graph must match: the encoder and the learned post-processing behind the codes. */
export interface AnnIdentity {
  encoderId: string;
  /** Anything that changes when every code changes (e.g. the post-processing blob). */
  codes: Buffer | string;
  config: AnnConfig;
}

/** How a search without `exact` is answered now, and with what. */
export interface SearchStatus {
  /** `scan`: every code; `graph`: the HNSW graph in the collection folder; `store`: the store's own index (pgvector). */
  mode: 'scan' | 'graph' | 'store';
  /** Indexed images from which the graph (or store index) answers. */
  threshold: number;
  settings: AnnSettings;
  /** The saved graph (SQLite collections), whether or not searches use it yet. */
  graph: AnnGraphStatus | null;
}

export class AnnSearcher {
  private graph: CollectionAnn | null = null;
  private graphKey = '';
  /** The identity (and a digest of its codes) per catalogue generation: read once, not per query. */
  private known: { generation: number; id: AnnIdentity | null; codesVersion: string } | null = null;

  constructor(
    private readonly dir: string,
    private readonly store: CatalogueStore,
    private readonly identity: () => Promise<AnnIdentity | null>,
  ) {}

  /** exact: true = always scan, false = always ANN, undefined = by collection size. */
  async useAnn(exact: boolean | undefined, indexed: number): Promise<boolean> {
    if (exact !== undefined) return !exact;
    const { id } = await this.current();
    return id !== null && indexed >= id.config.threshold;
  }

  private async current(): Promise<{ id: AnnIdentity | null; codesVersion: string }> {
    const generation = await this.store.generation();
    if (this.known?.generation !== generation) {
      const id = await this.identity();
      const codesVersion = id ? createHash('sha256').update(id.codes).digest('hex').slice(0, 16) : '';
      this.known = { generation, id, codesVersion };
    }
    return this.known;
  }

  private async collectionAnn(): Promise<CollectionAnn | null> {
    const { id, codesVersion } = await this.current();
    if (!id) return null;
    const key = `${id.encoderId}|${codesVersion}|${JSON.stringify(id.config.settings)}`;
    if (!this.graph || key !== this.graphKey) {
      this.graph = new CollectionAnn(this.dir, this.store, id.encoderId, codesVersion, id.config.settings);
      this.graphKey = key;
    }
    return this.graph;
  }

  async status(indexed: number): Promise<SearchStatus | null> {
    const { id } = await this.current();
    if (!id) return null;
    const store = hasNearestCodes(this.store);
    const graph = store ? null : await (await this.collectionAnn())!.status();
    const approximate = await this.useAnn(undefined, indexed);
    return { mode: !approximate ? 'scan' : store ? 'store' : 'graph', threshold: id.config.threshold, settings: id.config.settings, graph };
  }

  /** Build or patch the on-disk graph now (after indexing), so the next search does not pay for it. */
  async sync(onProgress?: (p: AnnSyncProgress) => void, signal?: AbortSignal): Promise<AnnSyncResult | null> {
    if (hasNearestCodes(this.store)) return null;
    const graph = await this.collectionAnn();
    return graph ? graph.sync(onProgress, signal) : null;
  }

  async search(query: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<IdScore[]> {
    const store = this.store;
    if (hasNearestCodes(store)) {
      const count = candidateCount(k, exclude.size);
      const found = await store.nearestCodes(query, count);
      return rescore(query, found.map((m) => m.id), (ids) => store.getCodes(ids), k, exclude);
    }
    const graph = await this.collectionAnn();
    if (!graph) return [];
    await graph.sync();
    const found = graph.search(query, candidateCount(k, exclude.size, graph.settings.quantisation));
    return rescore(query, found.map((m) => m.id), (ids) => store.getCodes(ids), k, exclude);
  }
}
