/**
 * Redis for the job queue: `--queue redis://[user:pass@]host:port[/db][?name=queue-name]`.
 * The queue name defaults to one per catalogue, so two collections sharing a Redis
 * never take each other's jobs.
 */
import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'bullmq';
import { invalidParameter } from '../errors.js';

export interface QueueTarget {
  connection: ConnectionOptions;
  /** BullMQ queue name. */
  name: string;
  /** The URL without its password, for messages. */
  label: string;
}

export function isRedisUrl(spec: string): boolean {
  return /^rediss?:\/\//i.test(spec);
}

export function queueTarget(urlText: string, storeLocation: string): QueueTarget {
  if (typeof urlText !== 'string' || !isRedisUrl(urlText)) throw invalidParameter('queue', 'a redis:// URL', urlText);
  const url = new URL(urlText);
  const name = url.searchParams.get('name') ?? `simili-index-${createHash('sha256').update(storeLocation).digest('hex').slice(0, 10)}`;
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw invalidParameter('queue name', 'letters, digits, _ . -', name);
  url.searchParams.delete('name');
  const label = new URL(url.href);
  if (label.password) label.password = '***';
  // Workers block on Redis; BullMQ requires unlimited retries per request for them.
  return { connection: { url: url.href, maxRetriesPerRequest: null }, name, label: label.href };
}
