/**
 * A worker process for the queue test: `tsx queue-worker.ts <redis-url> <postgres-url>`.
 * Prints one JSON line per job event on stdout so the test can kill it mid-job.
 */
import { runWorker } from '../../src/queue/worker.js';

const [queue, store] = process.argv.slice(2);
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
await runWorker({
  queue: queue!,
  store: store!,
  batchSize: 2,
  lockMs: 2000,
  signal: controller.signal,
  onEvent: (e) => process.stdout.write(JSON.stringify(e) + '\n'),
});
