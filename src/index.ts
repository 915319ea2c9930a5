/** simili's public library API. */
export { Collection, DEFAULT_COLLECTION_DIR } from './collection.js';
export type {
  CollectionInfo, IndexOptions, IndexSummary, OpenOptions, QueryInput, SearchHit, SearchOptions, SearchResult,
} from './collection.js';
export { SimiliError, type ErrorCode } from './errors.js';
export { decodeImage, DEFAULT_MAX_PIXELS, type DecodedImage, type RgbImage } from './decode/decode.js';
export type { Encoder } from './encode/encoder.js';
export { PRESETS, PRESET_NAMES, DEFAULT_PRESET, presetRecipe, recipeEncoderId, type Recipe } from './encode/recipe.js';
export type { CatalogueStore, ImageRecord } from './store/catalogue.js';
export { SqliteCatalogue } from './store/sqlite.js';
export { evaluateCollection, readQueryLabels, type DatasetEval } from './eval/dataset.js';
export { leaveOneOut, outsideQueries, cosineRanker, type EvalReport, type Ranker } from './eval/evaluate.js';
export { queryMetrics, aggregate, type QueryMetrics, type AggregateMetrics } from './eval/metrics.js';
