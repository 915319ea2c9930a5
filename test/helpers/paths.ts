import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';

/** Project root (this file lives in test/helpers). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Real pretrained weights: tests never download, they read ../shared/models. */
export const MODELS_DIR = process.env.SIMILI_MODELS_DIR ?? path.resolve(ROOT, '..', 'shared', 'models');
export const DATASETS_DIR = process.env.SIMILI_DATASETS_DIR ?? path.resolve(ROOT, '..', 'shared', 'datasets');

// Library code looks models up through the environment, as a user's shell would set it.
process.env.SIMILI_MODELS_DIR = MODELS_DIR;

export function tempDir(prefix = 'simili-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Running the CLI from source in a child process, from any working directory. */
export const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
export const TSX_IMPORT = import.meta.resolve('tsx');
export function cliArgs(...args: string[]): string[] {
  return ['--import', TSX_IMPORT, CLI, ...args];
}
