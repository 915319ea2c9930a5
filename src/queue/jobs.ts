/** What travels on the queue: a few files of one folder, and what came of them. */
import type { FailedImage, FileFacts } from '../store/catalogue.js';

export interface IndexJob {
  /** Absolute folder the paths are relative to; every worker must see it at the same path (shared storage). */
  root: string;
  /** Encoder the enqueuing side settled on: a worker with another recipe refuses the job. */
  encoderId: string;
  files: FileFacts[];
}

export interface IndexJobResult {
  indexed: number;
  deduplicated: number;
  failed: FailedImage[];
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
