/** simili's public library API. */
export { Collection, DEFAULT_COLLECTION_DIR } from './collection.js';
export type {
  CollectionInfo, IndexOptions, IndexSummary, OpenOptions, QueryInput, SearchHit, SearchOptions, SearchResult,
} from './collection.js';
export { SimiliError, type ErrorCode } from './errors.js';
export type { SearchStatus } from './search/ann-searcher.js';
export type { AnnGraphStatus } from './search/ann-sync.js';
export { decodeImage, DEFAULT_MAX_PIXELS, type DecodedImage, type RgbImage } from './decode/decode.js';
export type { Encoder } from './encode/encoder.js';
export { PRESETS, PRESET_NAMES, DEFAULT_PRESET, presetRecipe, recipeEncoderId, type Recipe } from './encode/recipe.js';
export type { CatalogueStore, ImageRecord } from './store/catalogue.js';
export { SqliteCatalogue } from './store/sqlite.js';
export { evaluateCollection, readQueryLabels, type DatasetEval } from './eval/dataset.js';
export { leaveOneOut, outsideQueries, cosineRanker, type EvalReport, type Ranker } from './eval/evaluate.js';
export { queryMetrics, aggregate, type QueryMetrics, type AggregateMetrics } from './eval/metrics.js';
export type { GateInfo, GateCategory } from './categories/gate.js';
export type { AddOptions, AddSummary } from './live/add.js';
export type { FolderWatcher, WatchEvent, WatchOptions } from './live/watch.js';
export { predictNamed, labelsOfImages, imagesLabelled, type NamedLabel } from './categories/describe.js';
export { evaluateGate, type GateEvalReport } from './categories/evaluate.js';
export { fetchImage, type FetchImageOptions } from './decode/fetch-image.js';
