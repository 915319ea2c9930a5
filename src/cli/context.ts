/**
 * What every command needs: which collection, how to report, how models are found.
 * Kept apart from the commands so each command file is only its own options and output.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { Collection, DEFAULT_COLLECTION_DIR, type OpenOptions } from '../collection.js';
import type { EncoderOptions } from '../encode/create.js';
import { SimiliError } from '../errors.js';
import { downloadBar } from './progress.js';

export interface GlobalOptions {
  collection?: string;
  /** Shared catalogue (postgres://...), else $SIMILI_STORE, else the collection folder's SQLite file. */
  store?: string;
  model?: string;
  quiet?: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** stderr is for people: warnings, progress, summaries; stdout is for results. */
export function warn(message: string): void {
  process.stderr.write(`simili: warning: ${message}\n`);
}

export function info(opts: GlobalOptions, message: string): void {
  if (!opts.quiet) process.stderr.write(`${message}\n`);
}

export function encoderOptions(opts: GlobalOptions): EncoderOptions {
  return {
    ...(opts.model ? { modelPath: path.resolve(opts.model) } : {}),
    allowDownload: true,
    onDownloadProgress: opts.quiet ? undefined : downloadBar(),
    warn,
  };
}

/**
 * The collection a command works on: --collection, then $SIMILI_COLLECTION, then the nearest
 * `.simili` folder upwards from here (like git), then `./.simili` when creating.
 */
export function collectionDir(opts: GlobalOptions, forCreate: boolean): string {
  const explicit = opts.collection ?? process.env.SIMILI_COLLECTION;
  if (explicit) return path.resolve(explicit);
  const found = Collection.find();
  if (found) return found;
  if (forCreate) return path.resolve(DEFAULT_COLLECTION_DIR);
  throw new SimiliError(
    'COLLECTION_MISSING',
    `No collection here: no ${DEFAULT_COLLECTION_DIR} folder in ${process.cwd()} or above. ` +
      'Run `simili index <folder>` first, or pass --collection <dir>',
  );
}

export async function openCollection(opts: GlobalOptions, extra: OpenOptions & { create?: boolean } = {}): Promise<Collection> {
  const store = extra.store ?? opts.store ?? process.env.SIMILI_STORE;
  // A shared store carries the whole collection: no local folder has to exist.
  const dir = collectionDir(opts, (extra.create ?? false) || store !== undefined);
  return Collection.open(dir, { ...extra, ...(store !== undefined ? { store } : {}), encoder: encoderOptions(opts) });
}
