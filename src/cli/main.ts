#!/usr/bin/env node
/**
 * The `simili` command: a thin shell over the library. Errors become one line on stderr
 * and an exit code (see exit-codes.ts); stack traces only with SIMILI_DEBUG=1.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isSimiliError } from '../errors.js';
import { COMMANDS } from './commands/all.js';
import { EXIT } from './exit-codes.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('simili')
    .description('content-based image retrieval: index a folder, search by example image, measure precision')
    .version(version())
    .option('-c, --collection <dir>', 'collection folder (default: $SIMILI_COLLECTION, else the nearest .simili folder)')
    .option('--model <file>', 'use this ONNX model file instead of looking it up')
    .option('--store <url>', 'shared catalogue: postgres://user:pass@host/db[?schema=name] (default: $SIMILI_STORE, else the collection folder)')
    .option('-q, --quiet', 'no progress bars or summaries on stderr')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; their exit code is already right.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`simili: error: ${message}\n`);
    if (process.env.SIMILI_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = isSimiliError(err) && err.code === 'INVALID_PARAMETER' ? EXIT.usage : EXIT.error;
  }
}

await main();
