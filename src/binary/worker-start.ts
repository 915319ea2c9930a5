/** Starting worker_threads on a module of this folder, from compiled JS or from source. */
import { Worker } from 'node:worker_threads';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * Start a worker on a sibling module: the compiled .js normally; under tsx (tests, bench)
 * the .ts source, through a tiny bootstrap that registers tsx first, because Node 20
 * resolves a worker's entry before any inherited --import hook is in place.
 */
export function startModuleWorker(name: string, workerData: unknown): Worker {
  if (!FROM_SOURCE) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
