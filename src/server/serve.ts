/**
 * Put the app on a socket: start, report the URL, stop cleanly. Kept apart from the CLI so
 * tests and benchmarks start real servers the same way `simili serve` does.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Collection } from '../collection.js';
import { integerInRange, nonEmptyString } from '../validate.js';
import { createApp } from './app.js';
import type { ServerOptions } from './options.js';

export interface StartOptions extends ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  /** Stop accepting connections, let in-flight requests finish (up to `graceMs`), then drop the rest. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

export async function startServer(collection: Collection, options: StartOptions = {}): Promise<RunningServer> {
  const host = nonEmptyString('host', options.host ?? DEFAULT_HOST);
  const port = integerInRange('port', options.port ?? DEFAULT_PORT, 0, 65535);
  const app = createApp(collection, options);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s as Server));
    s.once('error', reject);
  });
  // Slow clients must not pin sockets forever: headers within 20 s, a whole request within 2 min.
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** The lines `simili serve` prints once it listens. */
export function banner(running: RunningServer, facts: { images: number; model: string | null; writable: boolean }): string {
  return [
    '',
    `  simili serve: ${facts.images} images, model ${facts.model ?? 'none'}`,
    '',
    `  Page:     ${running.url}`,
    `  API:      ${running.url}api/stats  (OpenAPI: ${running.url}openapi.json)`,
    `  Writes:   ${facts.writable ? 'on (bearer token required)' : 'off (set SIMILI_TOKEN or --token-file to enable)'}`,
    '',
    '  Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/** Resolves after SIGINT or SIGTERM once the server is closed; a second signal exits at once. */
export function untilSignal(running: RunningServer, onStop?: (signal: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(130);
      stopping = true;
      onStop?.(signal);
      void running.close().then(() => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
