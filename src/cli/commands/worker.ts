import type { Command } from 'commander';
import { runWorker } from '../../queue/worker.js';
import { encoderOptions, globalOptions, info, warn } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { parseInteger } from '../parse.js';
import type { RegisterCommand } from './registry.js';

interface WorkerFlags {
  queue: string;
  concurrency: number;
  batchSize: number;
  lockSeconds: number;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('worker')
    .description('take indexing jobs from a Redis queue (see index --queue) and write them to the shared store; run as many as you like')
    .requiredOption('--queue <url>', 'the Redis queue: redis://host:port')
    .option('--concurrency <n>', 'jobs at once in this process', parseInteger, 1)
    .option('--batch-size <n>', 'images per inference batch', parseInteger, 16)
    .option('--lock-seconds <n>', 'a killed worker\'s jobs go back to the queue after about this long', parseInteger, 30)
    .action(async (flags: WorkerFlags, command: Command) => {
      const opts = globalOptions(command);
      const store = opts.store ?? process.env.SIMILI_STORE;
      if (!store) {
        warn('worker needs the shared catalogue: --store postgres://... (or $SIMILI_STORE)');
        process.exitCode = EXIT.usage;
        return;
      }
      const controller = new AbortController();
      const stop = (): void => {
        if (controller.signal.aborted) process.exit(EXIT.interrupted);
        info(opts, 'stopping after the jobs in hand (Ctrl-C again to quit now; unfinished jobs go back to the queue)');
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const summary = await runWorker({
          queue: flags.queue,
          store,
          concurrency: flags.concurrency,
          batchSize: flags.batchSize,
          lockMs: flags.lockSeconds * 1000,
          encoder: encoderOptions(opts),
          signal: controller.signal,
          onEvent: (e) => {
            if (e.type === 'ready') info(opts, `worker ${process.pid} waiting for jobs on ${e.queue} (${e.name})`);
            else if (e.type === 'completed') info(opts, `job ${e.jobId}: ${e.result.indexed} indexed, ${e.result.failed.length} failed`);
            else if (e.type === 'failed') warn(`job ${e.jobId} failed${e.willRetry ? ' (will retry)' : ''}: ${e.error}`);
          },
        });
        info(opts, `worker ${process.pid} done: ${summary.jobs} jobs, ${summary.indexed} images indexed, ${summary.failedJobs} jobs failed`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
};
