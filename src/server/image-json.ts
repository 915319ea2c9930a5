/**
 * The public view of an image: its id and catalogue path, plus the URLs that serve it.
 * Absolute file locations stay on the server.
 */
import path from 'node:path';
import type { SearchHit } from '../collection.js';
import type { ImageRecord } from '../store/catalogue.js';

export interface ImageJson {
  id: number;
  path: string;
  /** File name, for captions. */
  name: string;
  width: number | null;
  height: number | null;
  format: string | null;
  status: ImageRecord['status'];
  error?: { code: string | null; message: string | null };
  file: string;
  thumb: string;
}

export interface HitJson {
  rank: number;
  id: number;
  path: string;
  name: string;
  /** What the list is ordered by (see SearchHit.score). */
  score: number;
  /** Cosine similarity of the codes: what thresholds apply to (see SearchHit.similarity). */
  similarity?: number;
  file: string;
  thumb: string;
}

/**
 * The path clients see: catalogue paths relative to the root and URLs as they are, but an
 * absolute path (an image added from elsewhere, an upload kept in the collection folder)
 * shortened to its last two parts, so the server's directory layout stays private.
 */
export function publicPath(p: string): string {
  if (!path.isAbsolute(p) || /^https?:\/\//i.test(p)) return p;
  return p.split(/[\\/]+/).filter(Boolean).slice(-2).join('/');
}

export function baseName(p: string): string {
  const clean = p.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return decodeURIComponentSafe(clean.slice(clean.lastIndexOf('/') + 1)) || p;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function urls(id: number): { file: string; thumb: string } {
  return { file: `/api/images/${id}/file`, thumb: `/api/images/${id}/thumb` };
}

export function imageJson(r: ImageRecord): ImageJson {
  return {
    id: r.id,
    path: publicPath(r.path),
    name: baseName(r.path),
    width: r.width,
    height: r.height,
    format: r.format,
    status: r.status,
    ...(r.status === 'failed' ? { error: { code: r.errorCode, message: r.error } } : {}),
    ...urls(r.id),
  };
}

export function hitJson(h: SearchHit): HitJson {
  return { rank: h.rank, id: h.id, path: publicPath(h.path), name: baseName(h.path), score: h.score, ...(h.similarity !== undefined ? { similarity: h.similarity } : {}), ...urls(h.id) };
}
