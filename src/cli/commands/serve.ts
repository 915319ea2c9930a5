import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SimiliError } from '../../errors.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS } from '../../server/options.js';
import { banner, DEFAULT_HOST, DEFAULT_PORT, startServer, untilSignal } from '../../server/serve.js';
import { globalOptions, info, openCollection, warn } from '../context.js';
import { parseInteger, parseNumber } from '../parse.js';
import type { RegisterCommand } from './registry.js';

interface ServeFlags {
  port: number;
  host: string;
  tokenEnv: string;
  tokenFile?: string;
  maxBodyMb: number;
  timeout: number;
  urlQueries: boolean;
}

/** The token is read from a file or an environment variable, never from argv (visible in `ps`). */
function readToken(flags: ServeFlags): string | undefined {
  if (flags.tokenFile) {
    const token = readFileSync(path.resolve(flags.tokenFile), 'utf8').trim();
    if (!token) throw new SimiliError('INVALID_PARAMETER', `Token file ${flags.tokenFile} is empty`);
    return token;
  }
  const token = process.env[flags.tokenEnv]?.trim();
  return token ? token : undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('serve')
    .description('serve a web page and a JSON API to search the collection by dropping an image')
    .argument('[collection]', 'collection folder (default: --collection, $SIMILI_COLLECTION, or the nearest .simili)')
    .option('-p, --port <n>', 'port to listen on (0: any free port)', parseInteger, DEFAULT_PORT)
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', DEFAULT_HOST)
    .option('--token-env <name>', 'environment variable holding the token that enables the write endpoints', 'SIMILI_TOKEN')
    .option('--token-file <file>', 'file holding that token instead')
    .option('--max-body-mb <n>', 'largest upload accepted, in MB', parseNumber, DEFAULT_MAX_BODY_BYTES / 1024 / 1024)
    .option('--timeout <seconds>', 'per-request time limit', parseNumber, DEFAULT_TIMEOUT_MS / 1000)
    .option('--no-url-queries', 'refuse searching by URL (the server would download it)')
    .action(async (dir: string | undefined, flags: ServeFlags, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(dir ? { ...opts, collection: dir } : opts);
      try {
        const token = readToken(flags);
        if (!isLoopback(flags.host)) warn(`listening on ${flags.host}: anyone who can reach this machine can search the collection and view its images`);
        const running = await startServer(collection, {
          host: flags.host,
          port: flags.port,
          token,
          maxBodyBytes: Math.round(flags.maxBodyMb * 1024 * 1024),
          timeoutMs: Math.round(flags.timeout * 1000),
          allowUrlQueries: flags.urlQueries,
        });
        // Load the model now, not on the first query.
        collection.encoder().catch((err: unknown) => warn(`cannot load the model yet: ${err instanceof Error ? err.message : String(err)}`));
        const facts = await collection.info();
        const model = facts.recipe ? (facts.recipe.kind === 'classic' ? 'classic' : facts.recipe.models.join('+')) : null;
        // The banner is what a user looks for, so it goes to stdout even with --quiet.
        process.stdout.write(banner(running, { images: facts.indexed, model, writable: token !== undefined }));
        await untilSignal(running, (signal) => info(opts, `simili serve: ${signal}, stopping`));
      } finally {
        await collection.close();
      }
    });
};
