/** Loose request parameters -> the library's SearchOptions, each checked with validate.ts. */
import type { SearchOptions } from '../collection.js';
import { invalidParameter } from '../errors.js';
import { DEFAULT_RERANK_TOP, RERANK_METHODS } from '../rerank/rerankers.js';
import { oneOf } from '../validate.js';
import { HttpError } from './http-error.js';
import { optionalInteger, optionalNumber } from './params.js';

/** Parameters a search request may carry besides the query image itself. */
export const SEARCH_PARAMS = ['k', 'threshold', 'rerank', 'rerankTop', 'byCategory', 'topCategories', 'categoryMass', 'category', 'exact', 'addQuery'] as const;

export type ServerSearchOptions = Pick<SearchOptions, 'threshold' | 'rerank' | 'byCategory' | 'topCategories' | 'categoryMass' | 'category' | 'exact' | 'addQuery'> & { k: number };

export function searchOptions(params: Record<string, unknown>, maxK: number): ServerSearchOptions {
  const unknown = Object.keys(params).filter((key) => !(SEARCH_PARAMS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new HttpError(400, 'INVALID_PARAMETER', `Unknown parameter ${unknown.map((u) => JSON.stringify(u)).join(', ')}: expected url, id, ${SEARCH_PARAMS.join(', ')}`);
  }
  const k = optionalInteger('k', params.k, 1, maxK) ?? 10;
  const threshold = optionalNumber('threshold', params.threshold, -1, 1);
  const rerankMethod = params.rerank === undefined || params.rerank === '' ? undefined : oneOf('rerank', params.rerank, RERANK_METHODS);
  const rerankTop = optionalInteger('rerankTop', params.rerankTop, 1, 10_000);
  if (rerankTop !== undefined && rerankMethod === undefined) throw invalidParameter('rerank', `one of ${RERANK_METHODS.join(', ')} when rerankTop is given`, params.rerank);
  const byCategory = optionalBoolean('byCategory', params.byCategory);
  const topCategories = optionalInteger('topCategories', params.topCategories, 1, 100);
  const categoryMass = optionalNumber('categoryMass', params.categoryMass, 0.01, 1);
  const category = optionalText('category', params.category);
  const exact = optionalBoolean('exact', params.exact);
  const addQuery = optionalBoolean('addQuery', params.addQuery);
  return {
    k,
    ...(threshold !== undefined ? { threshold } : {}),
    ...(rerankMethod !== undefined ? { rerank: { method: rerankMethod, topN: rerankTop ?? DEFAULT_RERANK_TOP } } : {}),
    ...(byCategory !== undefined ? { byCategory } : {}),
    ...(topCategories !== undefined ? { topCategories } : {}),
    ...(categoryMass !== undefined ? { categoryMass } : {}),
    ...(category !== undefined ? { category } : {}),
    ...(exact !== undefined ? { exact } : {}),
    ...(addQuery ? { addQuery } : {}),
  };
}

/** true/false from JSON, or 'true'/'false'/'1'/'0' from a query string or form. */
function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidParameter(name, 'true or false', value);
}

function optionalText(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 200) throw invalidParameter(name, 'a string of at most 200 characters', value);
  return value;
}
