/**
 * The enqueuing side of distributed indexing: `Collection.index` plans the run as usual
 * (scan, change detection, removals), then this puts the files to encode on a BullMQ queue,
 * a few per job, and waits until workers have written them all, reporting progress from
 * the queue's events. Interrupting the wait leaves the jobs to the workers.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { IndexOptions } from '../collection.js';
import type { PipelineProgress, PipelineResult } from '../indexing/pipeline.js';
import type { FailedImage, FileFacts } from '../store/catalogue.js';
import { integerInRange } from '../validate.js';
import { queueTarget } from './connection.js';
import { chunk, type IndexJob, type IndexJobResult } from './jobs.js';

export interface QueueDispatchOptions {
  /** redis:// URL of the queue. */
  queue: string;
  /** Identity of the catalogue (its `location`): the default queue name is derived from it. */
  storeLocation: string;
  /** Files per job (default 8): small enough that a killed worker loses little, large enough to batch inference. */
  filesPerJob?: number;
  /** Tries per job before its files are reported failed (default 5, exponential backoff from 2 s). */
  attempts?: number;
  signal?: AbortSignal;
  onProgress?: (p: PipelineProgress) => void;
  /** How often to ask Redis directly about jobs whose events were not seen (default 15 s). */
  pollMs?: number;
}

type Settled = { kind: 'done'; result: IndexJobResult } | { kind: 'failed'; reason: string };

/** An `IndexOptions.dispatch` that runs the encoding on queue workers. */
export function queueDispatch(options: QueueDispatchOptions): NonNullable<IndexOptions['dispatch']> {
  const target = queueTarget(options.queue, options.storeLocation);
  const filesPerJob = integerInRange('filesPerJob', options.filesPerJob ?? 8, 1, 10_000);
  const attempts = integerInRange('attempts', options.attempts ?? 5, 1, 100);
  const pollMs = integerInRange('pollMs', options.pollMs ?? 15_000, 100, 3_600_000);

  return async (files: readonly FileFacts[], context: { root: string; encoderId: string }): Promise<PipelineResult> => {
    const result: PipelineResult = { indexed: 0, deduplicated: 0, failed: [], aborted: false };
    if (files.length === 0) return result;
    const queue = new Queue<IndexJob, IndexJobResult>(target.name, { connection: target.connection });
    const events = new QueueEvents(target.name, { connection: target.connection });
    const started = performance.now();
    const pending = new Map<string, FileFacts[]>();
    let done = 0;
    let lastEvent = Date.now();
    let wake: () => void = () => {};

    const report = (): void => {
      const seconds = (performance.now() - started) / 1000;
      options.onProgress?.({ done, total: files.length, indexed: result.indexed, failed: result.failed.length, rate: seconds > 0 ? done / seconds : 0 });
    };
    const settle = (id: string, outcome: Settled): void => {
      const jobFiles = pending.get(id);
      if (!jobFiles) return;
      pending.delete(id);
      if (outcome.kind === 'done') {
        result.indexed += outcome.result.indexed;
        result.deduplicated += outcome.result.deduplicated;
        result.failed.push(...outcome.result.failed);
      } else {
        const failed: FailedImage[] = jobFiles.map((f) => ({ ...f, hash: null, errorCode: 'READ_ERROR', error: `queue job failed after ${attempts} attempts: ${outcome.reason}` }));
        result.failed.push(...failed);
      }
      done += jobFiles.length;
      report();
      if (pending.size === 0) wake();
    };
    // Ask the state first, then read the job: a job read first may complete in between and
    // then show state 'completed' with no return value yet.
    const check = async (id: string): Promise<void> => {
      const state = await queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed') return;
      const job = await queue.getJob(id);
      if (!job) return;
      if (state === 'completed') settle(id, { kind: 'done', result: job.returnvalue });
      else settle(id, { kind: 'failed', reason: job.failedReason });
    };

    events.on('completed', ({ jobId, returnvalue }) => {
      lastEvent = Date.now();
      const value = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as IndexJobResult;
      settle(jobId, { kind: 'done', result: value });
    });
    // 'failed' also fires for attempts that will be retried: only the job's state says which.
    events.on('failed', ({ jobId }) => {
      lastEvent = Date.now();
      void check(jobId).catch(() => {});
    });

    try {
      // Listen before adding, so no completion can slip by unseen.
      await events.waitUntilReady();
      const batches = chunk(files, filesPerJob);
      for (const group of chunk(batches, 500)) {
        const jobs = await queue.addBulk(group.map((batch) => ({
          name: 'index',
          data: { root: context.root, encoderId: context.encoderId, files: batch },
          opts: {
            attempts,
            backoff: { type: 'exponential', delay: 2000 },
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        })));
        jobs.forEach((job, i) => { if (job.id) pending.set(job.id, group[i]!); });
      }
      report();
      while (pending.size > 0) {
        if (options.signal?.aborted) {
          result.aborted = true;
          break;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(pollMs, 1000));
          wake = () => { clearTimeout(timer); resolve(); };
          options.signal?.addEventListener('abort', wake, { once: true });
        });
        // Events can be missed (a reconnect); now and then ask about the oldest pending jobs.
        if (pending.size > 0 && Date.now() - lastEvent >= pollMs) {
          lastEvent = Date.now();
          for (const id of [...pending.keys()].slice(0, 500)) await check(id);
        }
      }
    } finally {
      await events.close();
      await queue.close();
    }
    return result;
  };
}
