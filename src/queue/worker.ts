/**
 * A queue worker: takes index jobs, encodes their files with the collection's own recipe
 * and writes them to the shared catalogue. Any number can run, on any machines that see
 * the images at the same path. Safe to kill at any moment: BullMQ notices the lost lock
 * (a stalled job) and gives the job to another worker, and the catalogue's upserts (images
 * by path, vectors by content hash) make a job that runs twice land exactly once.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Collection } from '../collection.js';
import type { EncoderOptions } from '../encode/create.js';
import type { CatalogueStore } from '../store/catalogue.js';
import { openStore } from '../store/open.js';
import { integerInRange } from '../validate.js';
import { queueTarget } from './connection.js';
import type { IndexJob, IndexJobResult } from './jobs.js';

export interface WorkerOptions {
  /** redis:// URL of the queue. */
  queue: string;
  /** The shared catalogue: a postgres:// URL (or an open store). */
  store: string | CatalogueStore;
  /** Jobs at once in this process (default 1: encoding is CPU-bound). */
  concurrency?: number;
  /** Inference batch size inside a job (default 16). */
  batchSize?: number;
  /**
   * How long a job's lock lives without renewal (default 30 s): a killed worker's jobs go
   * back to the queue after about this long.
   */
  lockMs?: number;
  encoder?: EncoderOptions;
  /** Stop (after the jobs in hand) when aborted. */
  signal?: AbortSignal;
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'ready'; queue: string; name: string }
  | { type: 'active'; jobId: string; files: number }
  | { type: 'completed'; jobId: string; result: IndexJobResult }
  | { type: 'failed'; jobId: string; error: string; willRetry: boolean };

export interface WorkerSummary {
  jobs: number;
  indexed: number;
  failedJobs: number;
}

export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const concurrency = integerInRange('concurrency', options.concurrency ?? 1, 1, 256);
  const batchSize = integerInRange('batchSize', options.batchSize ?? 16, 1, 1024);
  const lockMs = integerInRange('lockMs', options.lockMs ?? 30_000, 1000, 3_600_000);
  const store = typeof options.store === 'string' ? await openStore(options.store) : options.store;
  const target = queueTarget(options.queue, store.location);
  // The folder is only where a SQLite catalogue would live; a shared store carries everything.
  const collection = await Collection.open(process.cwd(), { store, encoder: options.encoder ?? {} });
  const summary: WorkerSummary = { jobs: 0, indexed: 0, failedJobs: 0 };

  const processor = async (job: Job<IndexJob, IndexJobResult>): Promise<IndexJobResult> => {
    options.onEvent?.({ type: 'active', jobId: job.id ?? '', files: job.data.files.length });
    const encoderId = await store.getMeta('encoder_id');
    if (encoderId !== job.data.encoderId) {
      // The collection was re-indexed with another recipe since: the job's codes would not fit.
      throw new UnrecoverableError(`job was made for encoder ${job.data.encoderId}, the collection now uses ${encoderId ?? 'none'}`);
    }
    const r = await collection.indexFiles(job.data.root, job.data.files, { batchSize });
    return { indexed: r.indexed, deduplicated: r.deduplicated, failed: r.failed };
  };

  const worker = new Worker<IndexJob, IndexJobResult>(target.name, processor, {
    connection: target.connection,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A job can be orphaned by a kill more than once before it counts as failed.
    maxStalledCount: 3,
  });
  worker.on('completed', (job, result) => {
    summary.jobs++;
    summary.indexed += result.indexed;
    options.onEvent?.({ type: 'completed', jobId: job.id ?? '', result });
  });
  worker.on('failed', (job, err) => {
    const willRetry = job !== undefined && job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError);
    if (!willRetry) summary.failedJobs++;
    options.onEvent?.({ type: 'failed', jobId: job?.id ?? '', error: err.message, willRetry });
  });
  // Connection trouble is retried by BullMQ; reporting it must not crash the worker.
  worker.on('error', () => {});
  await worker.waitUntilReady();
  options.onEvent?.({ type: 'ready', queue: target.label, name: target.name });

  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await worker.close();
  await collection.close();
  return summary;
}
